-- Daily PE of each SW L1 industry by two methods, and where each day's value sits in its own
-- trailing history. pe_method:
--   ttm_ex_negative  Σ total market cap ÷ Σ (total market cap ÷ PE TTM) over members with PE TTM > 0
--   sw_published     SW's own published 市盈率 (index_analysis_daily_sw); a different number
-- percentile_{Y}y = share of the method's daily values in (trade_date - Y years, trade_date] that
-- are <= the day's value (the day itself included), null when that window holds fewer than
-- percentile_min_obs_per_year × Y values. cume_dist over a date-range frame computes exactly that
-- count in O(n log n); the frame "Y years - 1 day preceding" is the half-open window on dates.
--
-- Incremental by trade_date: a run rebuilds the days from incremental_since on, reading the
-- daily values of the 10 years before them for the longest window (docs/scale.md).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='trade_date',
    on_schema_change='fail',
) }}
{%- set min_obs_per_year = var('percentile_min_obs_per_year') %}
{%- set since = incremental_since('trade_date') %}
{%- set window_years = [3, 5, 10] %}
{%- set trailing_windows -%}
    {%- for years in window_years %}
        trailing_{{ years }}y as (
            partition by index_code, pe_method
            order by trade_date
            range between interval '{{ years }} years -1 day' preceding and current row
        ){{ "," if not loop.last }}
    {%- endfor %}
{%- endset %}
with

l1_industries as (

    select * from {{ ref('sw_l1_industries') }}

),

ttm_ex_negative as (

    select
        index_code,
        trade_date,
        'ttm_ex_negative' as pe_method,
        pe_ttm_ex_negative as pe,
        n_members,
        n_excluded_nonpositive,
        provenance

    from {{ ref('int_industry_pe_ttm_daily') }}

),

sw_published as (

    select
        index_code,
        trade_date,
        'sw_published' as pe_method,
        pe,
        cast(null as integer) as n_members,
        cast(null as integer) as n_excluded_nonpositive,
        provenance

    from {{ ref('stg_akshare__sw_index_valuations') }}

),

daily_values as (

    select * from ttm_ex_negative
    {%- if since %}
    where trade_date > date '{{ since }}' - interval 10 years
    {%- endif %}
    union all
    select * from sw_published
    {%- if since %}
    where trade_date > date '{{ since }}' - interval 10 years
    {%- endif %}

),

windows as (

    -- Counts and window starts over every day, so a day without a value still reports its window.
    select
        index_code,
        pe_method,
        trade_date,
        count(pe) over trailing_3y as n_obs_3y,
        count(pe) over trailing_5y as n_obs_5y,
        count(pe) over trailing_10y as n_obs_10y,
        min(trade_date) filter (where pe is not null) over trailing_3y as window_start_3y,
        min(trade_date) filter (where pe is not null) over trailing_5y as window_start_5y,
        min(trade_date) filter (where pe is not null) over trailing_10y as window_start_10y

    from daily_values
    window {{ trailing_windows }}

),

shares as (

    -- cume_dist(order by pe) over the frame = (values <= this day's value) / values in frame.
    select
        index_code,
        pe_method,
        trade_date,
        cume_dist(order by pe) over trailing_3y as share_le_3y,
        cume_dist(order by pe) over trailing_5y as share_le_5y,
        cume_dist(order by pe) over trailing_10y as share_le_10y

    from daily_values
    where pe is not null
    window {{ trailing_windows }}

)

select
    daily_values.trade_date,
    daily_values.index_code,
    l1_industries.index_name,
    daily_values.pe_method,
    daily_values.pe,
    daily_values.n_members,
    daily_values.n_excluded_nonpositive,
    {%- for years in window_years %}
        case
            when windows.n_obs_{{ years }}y >= {{ min_obs_per_year }} * {{ years }}
                then shares.share_le_{{ years }}y
        end as percentile_{{ years }}y,
        windows.window_start_{{ years }}y,
        cast(windows.n_obs_{{ years }}y as integer) as n_obs_{{ years }}y,
    {%- endfor %}
    coalesce(daily_values.provenance = 'synthetic', false) as is_synthetic

from daily_values
inner join l1_industries
    on daily_values.index_code = l1_industries.index_code
inner join windows
    on
        daily_values.index_code = windows.index_code
        and daily_values.pe_method = windows.pe_method
        and daily_values.trade_date = windows.trade_date
left join shares
    on
        daily_values.index_code = shares.index_code
        and daily_values.pe_method = shares.pe_method
        and daily_values.trade_date = shares.trade_date
where
    {{ served_weeks('daily_values.trade_date') }}
    and {{ "daily_values.trade_date >= date '" ~ since ~ "'" if since else "true" }}
