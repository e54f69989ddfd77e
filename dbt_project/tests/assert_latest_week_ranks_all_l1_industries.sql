-- The latest week ranks all 31 SW L1 industries (a missing index series shows up here first).
with latest as (
    select
        max(week_end_date) as week_end_date,
        count(*) as n_rows
    from {{ ref('fct_industry_weekly_returns') }}
)

select
    weekly.week_end_date,
    count(*) as n_l1_rows,
    min(weekly.n_in_level) as n_in_level
from {{ ref('fct_industry_weekly_returns') }} as weekly
inner join latest
    on weekly.week_end_date = latest.week_end_date
where weekly.sw_level = 1
group by weekly.week_end_date
having count(*) <> 31 or min(weekly.n_in_level) <> 31 or max(weekly.n_in_level) <> 31
