-- Headlines of the week's movers and key companies (stock_news_em), one row per stock and
-- article. A call returns a stock's latest headlines whenever it is asked, so an article comes
-- back week after week, and a search can list it twice: the latest load of each (symbol, url)
-- is kept. week_start_date places the article in its Monday-Sunday week, the weeks of
-- int_trading_weeks; the brief shows only its own week's articles.
with

source as (

    select * from {{ source('akshare', 'stock_news') }}

),

renamed as (

    select
        lpad(trim(关键词), 6, '0') as symbol,
        -- Beijing time, as Eastmoney publishes it.
        strptime(发布时间, '%Y-%m-%d %H:%M:%S') as published_at,
        trim(新闻标题) as title,
        trim(文章来源) as publisher,
        trim(新闻链接) as url,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select
        * exclude (load_id),
        cast(published_at as date) as published_date,
        cast(date_trunc('week', published_at) as date) as week_start_date
    from renamed
    {{ latest_load_only(['symbol', 'url']) }}

)

select * from latest
