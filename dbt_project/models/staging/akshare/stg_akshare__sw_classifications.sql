with

source as (

    select * from {{ source('akshare', 'sw_classification') }}

),

renamed as (

    select
        lpad(trim(symbol), 6, '0') as symbol,
        cast(start_date as date) as start_date,
        trim(industry_code) as industry_code,
        -- SW2021 codes: the first two digits are the L1 industry (710102 -> 710000).
        left(trim(industry_code), 2) || '0000' as l1_industry_code,
        cast(update_time as date) as updated_date,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['symbol', 'start_date']) }}

)

select * from latest
