-- Weekly return and status of every member stock of an SW L1 industry, membership as of the
-- week's last trading day (see int_stock_returns_weekly for the status rules).
with

stock_returns as (

    select * from {{ ref('int_stock_returns_weekly') }}

),

l1_industries as (

    select * from {{ ref('sw_l1_industries') }}

)

select
    stock_returns.week_end_date,
    stock_returns.symbol,
    stock_returns.stock_name,
    stock_returns.l1_index_code,
    l1_industries.index_name,
    stock_returns.close,
    stock_returns.prev_close,
    stock_returns.weekly_return,
    stock_returns.status,
    stock_returns.is_st,
    stock_returns.is_name_point_in_time,
    stock_returns.status = 'new_listing' as is_new_listing,
    stock_returns.status = 'suspended' as is_suspended,
    -- Rank among the industry's traded members that week, 1 = best, ties share a rank.
    cast(
        case
            when stock_returns.weekly_return is not null
                then rank() over (
                        partition by
                            stock_returns.week_end_date,
                            stock_returns.l1_index_code,
                            stock_returns.weekly_return is null
                        order by stock_returns.weekly_return desc
                    )
        end as integer
    ) as rank_in_industry,
    cast(
        count(stock_returns.weekly_return) over (
            partition by stock_returns.week_end_date, stock_returns.l1_index_code
        ) as integer
    ) as n_in_industry

from stock_returns
inner join l1_industries
    on stock_returns.l1_index_code = l1_industries.index_code
where {{ served_weeks('stock_returns.week_start_date') }}
