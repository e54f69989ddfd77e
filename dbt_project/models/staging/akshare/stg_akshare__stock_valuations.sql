with

source as (

    select * from {{ source('akshare', 'stock_valuation') }}

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
        _loaded_at as loaded_at

    from source
    {{ latest_load_only(["lpad(" ~ call_arg('symbol') ~ ", 6, '0')", "cast(数据日期 as date)"]) }}

)

select * from renamed
