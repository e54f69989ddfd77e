with

source as (

    select * from {{ source('akshare', 'stock_names') }}

),

renamed as (

    select
        lpad(trim(code), 6, '0') as symbol,
        trim(name) as stock_name,
        {{ is_st_name('name') }} as is_st,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['symbol']) }}

)

select * from latest
