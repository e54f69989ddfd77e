-- Weekly return of every member stock of every SW L1 industry, membership as of the week's last
-- trading day. Statuses (flagged, never dropped):
--   traded      a bar in the week and a previous close: weekly_return = close / prev_close - 1
--   new_listing the stock's first bar is in this week: no previous close, weekly_return null
--   suspended   a member with no bar in the week: weekly_return null
-- Weeks run from the second week of the stock-bar history (the first has no previous close for
-- anyone) to the last week with stock bars. Not yet listed (first bar after the week) and
-- delisted members (no bar since, and not in the current name list) have no row.
--
-- Incremental by calendar week: a run rebuilds the weeks from incremental_since on (the latest
-- week held, and var incremental_lookback_weeks before it) and keeps older weeks as built, names
-- and ST flags included (docs/scale.md). `dbt build --full-refresh` rebuilds every week.
-- Names and ST flags are as of the week's end where dated name history exists
-- (int_stock_names_dated), else the current names'.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='week_start_date',
    on_schema_change='fail',
) }}
{%- set since = incremental_since('week_start_date') %}

with

trading_weeks as (

    select * from {{ ref('int_trading_weeks') }}

),

stock_bars as (

    select
        symbol,
        trade_date,
        close,
        provenance
    from {{ ref('stg_akshare__stock_bars') }}

),

memberships as (

    select * from {{ ref('int_stock_industry_memberships') }}

),

stock_names as (

    select * from {{ ref('stg_akshare__stock_names') }}

),

-- the name, and so the ST flag, as of the week's end where dated history allows
dated_names as (

    select * from {{ ref('int_stock_names_dated') }}

),

{{ weekly_close_ctes('stock_weeks', 'stock_bars', 'trading_weeks', 'symbol', since) }},

stock_history as (

    select
        (select min(first_bar_week_end_date) from stock_weeks_starts) as first_week_end_date,
        (select max(week_end_date) from stock_weeks_bar_weeks) as last_week_end_date

),

stock_last_bars as (

    select
        symbol,
        last_bar_date
    from stock_weeks_starts

),

weeks as (

    select distinct
        trading_weeks.week_start_date,
        trading_weeks.week_end_date,
        trading_weeks.prev_week_end_date

    from trading_weeks
    inner join stock_history
        on
            trading_weeks.week_end_date > stock_history.first_week_end_date
            and trading_weeks.week_end_date <= stock_history.last_week_end_date
    {%- if since %}
    where trading_weeks.week_start_date >= date '{{ since }}'
    {%- endif %}

),

member_weeks as (

    select
        weeks.week_start_date,
        weeks.week_end_date,
        weeks.prev_week_end_date,
        memberships.symbol,
        memberships.industry_code,
        memberships.l1_industry_code,
        memberships.l1_index_code,
        memberships.provenance as membership_provenance

    from weeks
    inner join memberships
        on
            weeks.week_end_date >= memberships.valid_from
            and (memberships.valid_to is null or weeks.week_end_date < memberships.valid_to)

),

classified as (

    select
        member_weeks.*,
        stock_weeks.first_bar_date,
        stock_weeks.close,
        stock_weeks.prev_close,
        stock_weeks.provenance as bar_provenance,
        dated_names.stock_name,
        dated_names.provenance as name_provenance,
        coalesce(dated_names.is_st, false) as is_st,
        coalesce(dated_names.is_name_point_in_time, false) as is_name_point_in_time,
        case
            when stock_weeks.close is not null and stock_weeks.prev_close is not null then 'traded'
            when stock_weeks.close is not null then 'new_listing'
            else 'suspended'
        end as status

    from member_weeks
    left join stock_weeks
        on
            member_weeks.symbol = stock_weeks.symbol
            and member_weeks.week_end_date = stock_weeks.week_end_date
    left join stock_last_bars
        on member_weeks.symbol = stock_last_bars.symbol
    left join stock_names
        on member_weeks.symbol = stock_names.symbol
    left join dated_names
        on
            member_weeks.symbol = dated_names.symbol
            and (dated_names.valid_from is null or member_weeks.week_end_date >= dated_names.valid_from)
            and (dated_names.valid_to is null or member_weeks.week_end_date < dated_names.valid_to)
    where
        -- Listed by this week: a bar this week or earlier (rows of stock_weeks start at the
        -- first bar), or no bar at all in the window but a current listing (suspended
        -- throughout).
        (
            stock_weeks.symbol is not null
            or (stock_last_bars.symbol is null and stock_names.symbol is not null)
        )
        -- Still listed: traded this week or later, or still on the current name list.
        and (
            stock_last_bars.last_bar_date >= member_weeks.week_start_date
            or stock_names.symbol is not null
        )

)

select
    week_end_date,
    week_start_date,
    prev_week_end_date,
    symbol,
    stock_name,
    industry_code,
    l1_industry_code,
    l1_index_code,
    first_bar_date,
    close,
    prev_close,
    case when status = 'traded' then close / prev_close - 1 end as weekly_return,
    status,
    is_st,
    is_name_point_in_time,
    bar_provenance,
    membership_provenance,
    name_provenance,
    {{ worst_provenance(['bar_provenance', 'membership_provenance', 'name_provenance']) }}
        as provenance

from classified
