with

source as (

    select * from {{ source('akshare', 'stock_names') }}

),

renamed as (

    select
        lpad(trim(code), 6, '0') as symbol,
        trim(name) as stock_name,
        -- ST / *ST names carry "ST" in the current name.
        coalesce(contains(name, 'ST'), false) as is_st,
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
