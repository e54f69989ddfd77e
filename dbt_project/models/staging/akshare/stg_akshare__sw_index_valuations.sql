with

source as (

    select * from {{ source('akshare', 'sw_index_valuation') }}

),

renamed as (

    select
        replace(trim(指数代码), '.SI', '') as index_code,
        trim(指数名称) as index_name,
        cast(发布日期 as date) as trade_date,
        cast(收盘指数 as double) as close,
        cast(市盈率 as double) as pe,
        cast(市净率 as double) as pb,
        {{ percent_to_fraction('换手率') }} as turnover,
        {{ percent_to_fraction('股息率') }} as dividend_yield,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['index_code', 'trade_date']) }}

)

select * from latest
