with

source as (

    select * from {{ source('akshare', 'stock_name_changes') }}

),

renamed as (

    select
        lpad(trim(证券代码), 6, '0') as symbol,
        变更日期 as change_date,
        trim(变更前简称) as name_before,
        trim(变更后简称) as name_after,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['symbol', 'change_date', 'name_before', 'name_after']) }}

)

select * from latest
