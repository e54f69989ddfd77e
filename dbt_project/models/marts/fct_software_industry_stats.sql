-- MIIT software and IT services statistics, one row per published figure. Year-to-date
-- releases are cumulative; YoY and shares are MIIT's published figures (fractions), never
-- recomputed from levels.
with

software_stats as (

    select * from {{ ref('stg_miit__software_stats') }}

)

select
    period_type,
    period_end,
    cast(year(period_end) as integer) as period_year,
    case
        when period_type = 'annual' then '全年'
        when month(period_end) = 3 then '一季度'
        when month(period_end) = 6 then '上半年'
        when month(period_end) = 9 then '前三季度'
        else '1—' || month(period_end) || '月'
    end as period_label,
    metric,
    segment,
    value,
    unit,
    yoy,
    share,
    share_base,
    published_date,
    source_url

from software_stats
