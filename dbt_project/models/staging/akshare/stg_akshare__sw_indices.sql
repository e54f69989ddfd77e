with

source as (

    select * from {{ source('akshare', 'sw_index_spot') }}

),

renamed as (

    select
        replace(trim(指数代码), '.SI', '') as index_code,
        trim(指数名称) as index_name,
        case {{ call_arg('symbol') }}
            when '一级行业' then 1
            when '二级行业' then 2
        end as sw_level,
        昨收盘 as prev_close,
        今开盘 as open,
        最新价 as last_price,
        最高价 as high,
        最低价 as low,
        成交量 as volume,
        成交额 as amount,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['index_code']) }}

)

select * from latest
