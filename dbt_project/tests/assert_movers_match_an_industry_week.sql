-- Dagster shows this test as a check on the model named in meta (it reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'mart_industry_movers'}}}) }}

-- Every movers row belongs to an L1 industry-week of fct_industry_weekly_returns (the composite
-- relationship the single-column relationships test cannot express).
select movers.*
from {{ ref('mart_industry_movers') }} as movers
left join {{ ref('fct_industry_weekly_returns') }} as weekly
    on
        movers.week_end_date = weekly.week_end_date
        and movers.index_code = weekly.index_code
        and weekly.sw_level = 1
where weekly.index_code is null
