with

source as (

    select * from {{ source('akshare', 'trade_calendar') }}

),

renamed as (

    select
        cast(trade_date as date) as trade_date,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source
    -- A rerun can load the same day again under another call; keep the latest load.

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['trade_date']) }}

)

select * from latest
