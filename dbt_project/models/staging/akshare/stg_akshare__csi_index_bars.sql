with

source as (

    select * from {{ source('akshare', 'csi_index_daily') }}

),

renamed as (

    select
        trim(指数代码) as index_code,
        cast(日期 as date) as trade_date,
        trim(指数中文简称) as index_name,
        cast(开盘 as double) as open,
        cast(最高 as double) as high,
        cast(最低 as double) as low,
        cast(收盘 as double) as close,
        cast(滚动市盈率 as double) as pe_ttm,
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
