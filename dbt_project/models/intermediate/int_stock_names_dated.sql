-- Each stock's short name over time, and so its ST status (docs/metrics.md, "Names and ST"):
--   * Shenzhen stocks (codes 0xxxxx, 3xxxxx), when SZSE's dated 简称 change list is loaded: a
--     name holds from its change date (inclusive) to the next change; before the first change,
--     the stock had that change's name_before. A Shenzhen stock absent from the list was never
--     renamed: its current name holds throughout.
--   * The others (Shanghai and Beijing: akshare has no dated name history for them), and every
--     stock when no list is loaded: the current name for every day, i.e. as of the names' fetch
--     date, not point-in-time.
-- valid_from / valid_to are null at open ends; is_name_point_in_time says which rule applied.
with

changes as (

    select * from {{ ref('stg_akshare__stock_name_changes') }}

),

stock_names as (

    select * from {{ ref('stg_akshare__stock_names') }}

),

sequenced as (

    -- Two changes of one stock on one day chain (ST removed, *ST added): the one whose new name
    -- the other renames came first.
    select
        changes.symbol,
        changes.change_date,
        changes.name_before,
        changes.name_after,
        changes.provenance,
        count(renamed_later.symbol) as n_renamed_same_day

    from changes
    left join changes as renamed_later
        on
            changes.symbol = renamed_later.symbol
            and changes.change_date = renamed_later.change_date
            and changes.name_after = renamed_later.name_before
            and changes.name_before != renamed_later.name_before
    group by all

),

ordered as (

    select
        *,
        lead(change_date) over by_stock as next_change_date,
        row_number() over by_stock as change_number

    from sequenced
    window by_stock as (
        partition by symbol
        order by change_date asc, n_renamed_same_day desc, name_after asc
    )

),

dated as (

    select
        symbol,
        change_date as valid_from,
        next_change_date as valid_to,
        name_after as stock_name,
        provenance
    from ordered

    union all

    select
        symbol,
        null as valid_from,
        change_date as valid_to,
        name_before as stock_name,
        provenance
    from ordered
    where change_number = 1

),

current_only as (

    select
        stock_names.symbol,
        cast(null as date) as valid_from,
        cast(null as date) as valid_to,
        stock_names.stock_name,
        stock_names.provenance,
        left(stock_names.symbol, 1) in ('0', '3')
        and exists (select 1 from changes) as is_name_point_in_time

    from stock_names
    anti join changes as renamed_stocks
        on stock_names.symbol = renamed_stocks.symbol

)

select
    symbol,
    valid_from,
    valid_to,
    stock_name,
    {{ is_st_name('stock_name') }} as is_st,
    true as is_name_point_in_time,
    provenance
from dated

union all

select
    symbol,
    valid_from,
    valid_to,
    stock_name,
    {{ is_st_name('stock_name') }} as is_st,
    is_name_point_in_time,
    provenance
from current_only
