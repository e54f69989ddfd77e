-- Weekly return, rank and excess return over the CSI 300 of every SW L1 and L2 index.
-- weekly_return = the index's last close in the week / its last close on or before the previous
-- trading week's last day - 1. An index-week without a bar in the week, or without any earlier
-- close (the first week of its history), has no row.
with

trading_weeks as (

    select * from {{ ref('int_trading_weeks') }}

),

sw_indices as (

    select * from {{ ref('stg_akshare__sw_indices') }}
    where sw_level in (1, 2)

),

sw_bars as (

    select
        index_code,
        trade_date,
        close,
        provenance
    from {{ ref('stg_akshare__sw_index_bars') }}

),

benchmark_bars as (

    select
        index_code,
        trade_date,
        close,
        provenance
    from {{ ref('stg_akshare__csi_index_bars') }}
    where index_code = '{{ var("benchmark_code") }}'

),

{{ weekly_close_ctes('sw_weeks', 'sw_bars', 'trading_weeks', 'index_code') }},

{{ weekly_close_ctes('benchmark_weeks', 'benchmark_bars', 'trading_weeks', 'index_code') }},

index_returns as (

    select
        sw_weeks.week_end_date,
        sw_weeks.week_start_date,
        sw_weeks.prev_week_end_date,
        sw_weeks.trading_days_in_week,
        sw_indices.sw_level,
        sw_weeks.index_code,
        sw_indices.index_name,
        sw_weeks.close,
        sw_weeks.prev_close,
        sw_weeks.close / sw_weeks.prev_close - 1 as weekly_return

    from sw_weeks
    inner join sw_indices
        on sw_weeks.index_code = sw_indices.index_code
    where sw_weeks.close is not null and sw_weeks.prev_close is not null

),

benchmark_returns as (

    select
        week_end_date,
        index_code as benchmark_code,
        close / prev_close - 1 as benchmark_return

    from benchmark_weeks
    where close is not null and prev_close is not null

),

ranked as (

    select
        index_returns.*,
        rank() over (
            partition by index_returns.week_end_date, index_returns.sw_level
            order by index_returns.weekly_return desc
        ) as rank_in_level,
        count(*) over (
            partition by index_returns.week_end_date, index_returns.sw_level
        ) as n_in_level

    from index_returns

)

select
    ranked.week_end_date,
    ranked.week_start_date,
    ranked.prev_week_end_date,
    ranked.trading_days_in_week,
    ranked.sw_level,
    ranked.index_code,
    ranked.index_name,
    ranked.close,
    ranked.prev_close,
    ranked.weekly_return,
    cast(ranked.rank_in_level as integer) as rank_in_level,
    cast(ranked.n_in_level as integer) as n_in_level,
    '{{ var("benchmark_code") }}' as benchmark_code,
    benchmark_returns.benchmark_return,
    ranked.weekly_return - benchmark_returns.benchmark_return as excess_return

from ranked
left join benchmark_returns
    on ranked.week_end_date = benchmark_returns.week_end_date
