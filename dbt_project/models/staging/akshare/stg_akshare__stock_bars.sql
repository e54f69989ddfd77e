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

    select * from {{ source('akshare', 'stock_daily') }}
    {%- if is_incremental() %}
    -- Loads after the last build. Strictly after: load times have whole seconds, and no load
    -- can share the second of one this model already saw, as a build takes longer than that.
    where _loaded_at > (select max(loaded_at) from {{ this }})
    {%- endif %}

),

renamed as (

    select
        lpad(trim(coalesce(股票代码, {{ call_arg('symbol') }})), 6, '0') as symbol,
        cast(日期 as date) as trade_date,
        cast(开盘 as double) as open,
        cast(收盘 as double) as close,
        cast(最高 as double) as high,
        cast(最低 as double) as low,
        cast(成交量 as bigint) as volume_lots,
        cast(成交额 as double) as amount,
        {{ percent_to_fraction('涨跌幅') }} as pct_change,
        {{ percent_to_fraction('振幅') }} as amplitude,
        {{ percent_to_fraction('换手率') }} as turnover,
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
