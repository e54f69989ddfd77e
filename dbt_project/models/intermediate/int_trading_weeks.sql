-- One row per trading day. A week is the trading days of one Monday-Sunday calendar week and is
-- identified by its last trading day; weeks without trading do not exist. The calendar runs
-- years ahead, so it is cut at the latest SW index bar: the current week ends on the last day
-- with data.
with

calendar as (

    select trade_date from {{ ref('stg_akshare__trading_days') }}

),

latest_bar as (

    select max(trade_date) as latest_bar_date
    from {{ ref('stg_akshare__sw_index_bars') }}

),

trading_days as (

    select
        calendar.trade_date,
        cast(date_trunc('week', calendar.trade_date) as date) as week_start_date

    from calendar
    inner join latest_bar
        on calendar.trade_date <= latest_bar.latest_bar_date

),

weeks as (

    select
        week_start_date,
        max(trade_date) as week_end_date,
        count(*) as trading_days_in_week

    from trading_days
    group by week_start_date

),

weeks_with_previous as (

    select
        week_start_date,
        week_end_date,
        trading_days_in_week,
        lag(week_end_date) over (order by week_start_date) as prev_week_end_date

    from weeks

)

select
    trading_days.trade_date,
    weeks_with_previous.week_start_date,
    weeks_with_previous.week_end_date,
    weeks_with_previous.prev_week_end_date,
    cast(weeks_with_previous.trading_days_in_week as integer) as trading_days_in_week

from trading_days
inner join weeks_with_previous
    on trading_days.week_start_date = weeks_with_previous.week_start_date
