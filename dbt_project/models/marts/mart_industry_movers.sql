-- Top and bottom movers of each SW L1 industry and week, plus every flagged member that could
-- not be ranked (new listings and suspensions), so none is silently dropped. Traded stocks are
-- ranked by weekly return (ST names included and flagged); ties are broken by symbol.
with

stock_returns as (

    select * from {{ ref('fct_stock_weekly_returns') }}

),

ranked_stocks as (

    select
        *,
        row_number() over (
            partition by week_end_date, l1_index_code
            order by weekly_return desc, symbol asc
        ) as top_position,
        row_number() over (
            partition by week_end_date, l1_index_code
            order by weekly_return asc, symbol asc
        ) as bottom_position,
        count(*) over (partition by week_end_date, l1_index_code) as n_ranked

    from stock_returns
    where status = 'traded' and weekly_return is not null

),

ranked_counts as (

    select distinct
        week_end_date,
        l1_index_code,
        n_ranked
    from ranked_stocks

),

movers as (

    select
        week_end_date,
        l1_index_code,
        index_name,
        'top' as side,
        top_position as position,
        symbol,
        stock_name,
        weekly_return,
        is_st,
        is_name_point_in_time,
        is_new_listing,
        is_suspended,
        n_ranked
    from ranked_stocks
    where top_position <= {{ var('movers_n') }}

    union all

    select
        week_end_date,
        l1_index_code,
        index_name,
        'bottom' as side,
        bottom_position as position,
        symbol,
        stock_name,
        weekly_return,
        is_st,
        is_name_point_in_time,
        is_new_listing,
        is_suspended,
        n_ranked
    from ranked_stocks
    where bottom_position <= {{ var('movers_n') }}

    union all

    select
        stock_returns.week_end_date,
        stock_returns.l1_index_code,
        stock_returns.index_name,
        'unranked' as side,
        row_number() over (
            partition by stock_returns.week_end_date, stock_returns.l1_index_code
            order by stock_returns.symbol
        ) as position,
        stock_returns.symbol,
        stock_returns.stock_name,
        stock_returns.weekly_return,
        stock_returns.is_st,
        stock_returns.is_name_point_in_time,
        stock_returns.is_new_listing,
        stock_returns.is_suspended,
        coalesce(ranked_counts.n_ranked, 0) as n_ranked
    from stock_returns
    left join ranked_counts
        on
            stock_returns.week_end_date = ranked_counts.week_end_date
            and stock_returns.l1_index_code = ranked_counts.l1_index_code
    where stock_returns.status in ('new_listing', 'suspended')

)

select
    week_end_date,
    l1_index_code as index_code,
    index_name,
    side,
    cast(position as integer) as position,
    symbol,
    stock_name,
    weekly_return,
    is_st,
    is_name_point_in_time,
    is_new_listing,
    is_suspended,
    cast(n_ranked as integer) as n_ranked

from movers
