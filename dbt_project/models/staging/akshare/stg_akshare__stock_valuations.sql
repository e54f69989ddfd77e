-- An incremental table, unlike the other staging models (views): at 12.5 M rows a view reruns
-- the latest-load dedup on every read, and a build reads this model several times. A run takes the
-- raw rows loaded since the last one and replaces their grain (docs/scale.md); rows deleted
-- from raw leave staging on `dbt build --full-refresh`.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['symbol', 'trade_date'],
    on_schema_change='fail',
) }}

with

source as (

    select * from {{ source('akshare', 'stock_valuation') }}
    {%- if is_incremental() %}
    -- Loads after the last build. Strictly after: load times have whole seconds, and no load
    -- can share the second of one this model already saw, as a build takes longer than that.
    where _loaded_at > (select max(loaded_at) from {{ this }})
    {%- endif %}

),

renamed as (

    select
        -- stock_value_em returns no code column; the symbol is the call's argument.
        lpad({{ call_arg('symbol') }}, 6, '0') as symbol,
        cast(数据日期 as date) as trade_date,
        cast(当日收盘价 as double) as close,
        cast(总市值 as double) as total_market_cap,
        cast(流通市值 as double) as float_market_cap,
        cast("PE(TTM)" as double) as pe_ttm,
        cast("PE(静)" as double) as pe_static,
        cast(市净率 as double) as pb,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['symbol', 'trade_date']) }}

)

select * from latest
