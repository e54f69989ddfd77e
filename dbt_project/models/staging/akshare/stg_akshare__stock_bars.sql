with

source as (

    select * from {{ source('akshare', 'stock_daily') }}

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
        _loaded_at as loaded_at

    from source
    {{ latest_load_only([
        "lpad(trim(coalesce(股票代码, " ~ call_arg('symbol') ~ ")), 6, '0')",
        "cast(日期 as date)",
    ]) }}

)

select * from renamed
