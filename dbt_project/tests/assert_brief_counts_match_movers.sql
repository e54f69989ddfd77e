-- Dagster shows this test as a check on the model named in meta (it reads two models).
{{ config(meta={'dagster': {'ref': {'name': 'rpt_industry_weekly_brief'}}}) }}

-- The brief's ranked-stock count is the movers' n_ranked, and its JSON movers are the top and
-- bottom rows of mart_industry_movers.
with movers as (
    select
        week_end_date,
        index_code,
        max(n_ranked) as n_ranked,
        count(*) filter (where side = 'top') as n_top,
        count(*) filter (where side = 'bottom') as n_bottom
    from {{ ref('mart_industry_movers') }}
    group by week_end_date, index_code
)

select
    brief.week_end_date,
    brief.index_code,
    brief.n_stocks_ranked,
    movers.n_ranked
from {{ ref('rpt_industry_weekly_brief') }} as brief
left join movers
    on
        brief.week_end_date = movers.week_end_date
        and brief.index_code = movers.index_code
where
    brief.n_stocks_ranked <> coalesce(movers.n_ranked, 0)
    or json_array_length(brief.top_movers::json) <> coalesce(movers.n_top, 0)
    or json_array_length(brief.bottom_movers::json) <> coalesce(movers.n_bottom, 0)
