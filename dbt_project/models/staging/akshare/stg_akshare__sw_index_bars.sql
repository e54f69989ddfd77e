with

source as (

    select * from {{ source('akshare', 'sw_index_daily') }}

),

renamed as (

    select
        replace(trim(代码), '.SI', '') as index_code,
        cast(日期 as date) as trade_date,
        -- akshare leaves 开盘 uncast; it can arrive as text.
        cast(开盘 as double) as open,
        cast(最高 as double) as high,
        cast(最低 as double) as low,
        cast(收盘 as double) as close,
        cast(成交量 as double) as volume,
        cast(成交额 as double) as amount,
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
