-- Weekly return, rank and excess return over the CSI 300 of every SW L1 and L2 index.
-- weekly_return = the index's last close in the week / its last close on or before the previous
-- trading week's last day - 1. An index-week without a bar in the week, or without any earlier
-- close (the first week of its history), has no row.
-- Also: each L2's parent L1 and rank within it, the date of the close the week's return starts
-- from, and the 4-week, year-to-date and 52-week returns of the index and the CSI 300, each from
-- the last close on or before its base day (docs/metrics.md):
--   4w  the Sunday 22 days before the week's Monday (end of the calendar week 4 weeks earlier)
--   ytd 31 December of the year before week_end_date
--   52w the Sunday 358 days before the week's Monday (end of the calendar week 52 weeks earlier)
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

l2_parents as (

    select
        index_code,
        l1_index_code
    from {{ ref('sw_l2_industries') }}

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

week_days as (

    -- The week's first trading day, and the weekdays (Mon-Fri) the exchange was closed between
    -- the previous trading week's last day and it: 0 for a week that follows an ordinary weekend.
    select
        week_end_date,
        min(trade_date) as first_trade_date,
        len(
            list_filter(
                generate_series(
                    any_value(prev_week_end_date) + 1, min(trade_date) - 1, interval 1 day
                ),
                lambda day: isodow(day) <= 5  -- noqa: RF02
            )
        ) as closed_weekdays_before_week

    from trading_weeks
    group by week_end_date

),

trading_day_bars as (

    -- Bars on calendar trading days only, as for the weekly closes; base closes come from these.
    select
        sw_bars.index_code,
        sw_bars.trade_date,
        sw_bars.close
    from sw_bars
    inner join trading_weeks
        on sw_bars.trade_date = trading_weeks.trade_date
    where sw_bars.close is not null
    union all
    select
        benchmark_bars.index_code,
        benchmark_bars.trade_date,
        benchmark_bars.close
    from benchmark_bars
    inner join trading_weeks
        on benchmark_bars.trade_date = trading_weeks.trade_date
    where benchmark_bars.close is not null

),

series_weeks as (

    -- Every index-week with a return, and every benchmark week with a close.
    select
        index_code,
        week_end_date,
        week_start_date,
        prev_week_end_date
    from index_returns
    union all
    select
        index_code,
        week_end_date,
        week_start_date,
        prev_week_end_date
    from benchmark_weeks
    where close is not null

),

base_targets as (

    -- One row per series, week and horizon: the day whose last close the return starts from.
    select
        index_code,
        week_end_date,
        '1w' as horizon,
        prev_week_end_date as base_target
    from series_weeks
    union all
    select
        index_code,
        week_end_date,
        '4w' as horizon,
        cast(week_start_date - 22 as date) as base_target
    from series_weeks
    union all
    select
        index_code,
        week_end_date,
        'ytd' as horizon,
        make_date(year(week_end_date) - 1, 12, 31) as base_target
    from series_weeks
    union all
    select
        index_code,
        week_end_date,
        '52w' as horizon,
        cast(week_start_date - 358 as date) as base_target
    from series_weeks

),

base_closes as (

    select
        base_targets.index_code,
        base_targets.week_end_date,
        base_targets.horizon,
        trading_day_bars.trade_date as base_date,
        trading_day_bars.close as base_close

    from base_targets
    asof left join trading_day_bars
        on
            base_targets.index_code = trading_day_bars.index_code
            and base_targets.base_target >= trading_day_bars.trade_date

),

bases as (

    select
        index_code,
        week_end_date,
        max(base_date) filter (where horizon = '1w') as return_base_date,
        max(base_close) filter (where horizon = '1w') as return_base_close,
        max(base_date) filter (where horizon = '4w') as base_date_4w,
        max(base_close) filter (where horizon = '4w') as base_close_4w,
        max(base_date) filter (where horizon = 'ytd') as base_date_ytd,
        max(base_close) filter (where horizon = 'ytd') as base_close_ytd,
        max(base_date) filter (where horizon = '52w') as base_date_52w,
        max(base_close) filter (where horizon = '52w') as base_close_52w

    from base_closes
    group by index_code, week_end_date

),

benchmark_horizons as (

    select
        benchmark_weeks.week_end_date,
        benchmark_weeks.close / bases.base_close_4w - 1 as benchmark_return_4w,
        benchmark_weeks.close / bases.base_close_ytd - 1 as benchmark_return_ytd,
        benchmark_weeks.close / bases.base_close_52w - 1 as benchmark_return_52w

    from benchmark_weeks
    inner join bases
        on
            benchmark_weeks.index_code = bases.index_code
            and benchmark_weeks.week_end_date = bases.week_end_date

),

with_horizons as (

    select
        index_returns.*,
        coalesce(
            l2_parents.l1_index_code,
            case when index_returns.sw_level = 1 then index_returns.index_code end
        ) as l1_index_code,
        bases.return_base_date,
        bases.return_base_close,
        week_days.closed_weekdays_before_week,
        bases.base_date_4w,
        index_returns.close / bases.base_close_4w - 1 as return_4w,
        bases.base_date_ytd,
        index_returns.close / bases.base_close_ytd - 1 as return_ytd,
        bases.base_date_52w,
        index_returns.close / bases.base_close_52w - 1 as return_52w

    from index_returns
    left join l2_parents
        on
            index_returns.index_code = l2_parents.index_code
            and index_returns.sw_level = 2
    left join bases
        on
            index_returns.index_code = bases.index_code
            and index_returns.week_end_date = bases.week_end_date
    left join week_days
        on index_returns.week_end_date = week_days.week_end_date

),

ranked as (

    select
        with_horizons.*,
        {%- for horizon in ['4w', 'ytd', '52w'] %}
            case
                when with_horizons.return_{{ horizon }} is not null
                    then rank() over (
                            partition by
                                with_horizons.week_end_date,
                                with_horizons.sw_level,
                                with_horizons.return_{{ horizon }} is null
                            order by with_horizons.return_{{ horizon }} desc
                        )
            end as rank_{{ horizon }}_in_level,
            count(with_horizons.return_{{ horizon }}) over (
                partition by with_horizons.week_end_date, with_horizons.sw_level
            ) as n_{{ horizon }}_in_level,
        {%- endfor %}
        rank() over (
            partition by with_horizons.week_end_date, with_horizons.sw_level
            order by with_horizons.weekly_return desc
        ) as rank_in_level,
        count(*) over (
            partition by with_horizons.week_end_date, with_horizons.sw_level
        ) as n_in_level,
        case
            when with_horizons.sw_level = 2 and with_horizons.l1_index_code is not null
                then rank() over (
                        partition by
                            with_horizons.week_end_date,
                            with_horizons.sw_level,
                            with_horizons.l1_index_code
                        order by with_horizons.weekly_return desc
                    )
        end as rank_in_l1,
        case
            when with_horizons.sw_level = 2 and with_horizons.l1_index_code is not null
                then count(*) over (
                        partition by
                            with_horizons.week_end_date,
                            with_horizons.sw_level,
                            with_horizons.l1_index_code
                    )
        end as n_in_l1

    from with_horizons

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
    ranked.weekly_return - benchmark_returns.benchmark_return as excess_return,
    ranked.l1_index_code,
    cast(ranked.rank_in_l1 as integer) as rank_in_l1,
    cast(ranked.n_in_l1 as integer) as n_in_l1,
    {%- for horizon in ['4w', 'ytd', '52w'] %}
        ranked.base_date_{{ horizon }},
        ranked.return_{{ horizon }},
        cast(ranked.rank_{{ horizon }}_in_level as integer) as rank_{{ horizon }}_in_level,
        cast(ranked.n_{{ horizon }}_in_level as integer) as n_{{ horizon }}_in_level,
        benchmark_horizons.benchmark_return_{{ horizon }},
    {%- endfor %}
    ranked.return_base_date,
    cast(ranked.closed_weekdays_before_week as integer) as closed_weekdays_before_week

from ranked
left join benchmark_returns
    on ranked.week_end_date = benchmark_returns.week_end_date
left join benchmark_horizons
    on ranked.week_end_date = benchmark_horizons.week_end_date
where {{ served_weeks('ranked.week_start_date') }}
