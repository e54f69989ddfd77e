with

source as (

    select * from {{ source('akshare', 'trade_calendar') }}

),

renamed as (

    select
        cast(trade_date as date) as trade_date,
        _provenance as provenance,
        _loaded_at as loaded_at

    from source
    -- A rerun can load the same day again under another call; keep the latest load.
    {{ latest_load_only(["cast(trade_date as date)"]) }}

)

select * from renamed
