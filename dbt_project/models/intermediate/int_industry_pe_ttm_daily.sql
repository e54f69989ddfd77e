-- Industry PE(TTM), negatives excluded (整体法), per SW L1 industry and trading day:
--   Σ total_market_cap ÷ Σ (total_market_cap ÷ pe_ttm), over members as of the day with pe_ttm > 0.
-- A loss-making member (pe_ttm < 0) and a zero PE are excluded from both sums and counted in
-- n_excluded_nonpositive. Members without a valuation (or without a cap or PE) that day are not
-- counted at all, so n_members = n_positive_pe + n_excluded_nonpositive.
--
-- Incremental by trade_date: a run rebuilds the days from incremental_since on (docs/scale.md).
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='trade_date',
    on_schema_change='fail',
) }}
{%- set since = incremental_since('trade_date') %}

with

trading_days as (

    select trade_date from {{ ref('int_trading_weeks') }}
    {%- if since %}
    where trade_date >= date '{{ since }}'
    {%- endif %}

),

valuations as (

    select * from {{ ref('stg_akshare__stock_valuations') }}
    where total_market_cap is not null and pe_ttm is not null

),

memberships as (

    select * from {{ ref('int_stock_industry_memberships') }}
    where l1_index_code is not null

),

member_valuations as (

    select
        memberships.l1_index_code,
        valuations.trade_date,
        valuations.symbol,
        valuations.total_market_cap,
        valuations.pe_ttm,
        valuations.provenance as valuation_provenance,
        memberships.provenance as membership_provenance

    from valuations
    inner join trading_days
        on valuations.trade_date = trading_days.trade_date
    inner join memberships
        on
            valuations.symbol = memberships.symbol
            and valuations.trade_date >= memberships.valid_from
            and (memberships.valid_to is null or valuations.trade_date < memberships.valid_to)

),

industry_days as (

    select
        l1_index_code as index_code,
        trade_date,
        sum(total_market_cap) filter (where pe_ttm > 0) as total_market_cap_positive_pe,
        sum(total_market_cap / pe_ttm) filter (where pe_ttm > 0) as ttm_earnings_positive_pe,
        count(*) as n_members,
        count(*) filter (where pe_ttm > 0) as n_positive_pe,
        count(*) filter (where pe_ttm <= 0) as n_excluded_nonpositive,
        {{ max_provenance('valuation_provenance') }} as valuation_provenance,
        {{ max_provenance('membership_provenance') }} as membership_provenance

    from member_valuations
    group by l1_index_code, trade_date

)

select
    index_code,
    trade_date,
    total_market_cap_positive_pe / nullif(ttm_earnings_positive_pe, 0) as pe_ttm_ex_negative,
    total_market_cap_positive_pe,
    ttm_earnings_positive_pe,
    cast(n_members as integer) as n_members,
    cast(n_positive_pe as integer) as n_positive_pe,
    cast(n_excluded_nonpositive as integer) as n_excluded_nonpositive,
    valuation_provenance,
    membership_provenance,
    {{ worst_provenance(['valuation_provenance', 'membership_provenance']) }} as provenance

from industry_days
