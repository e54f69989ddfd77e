-- Each figure an analyst published beside the number the pipeline computed for the same
-- industry, week and metric, flagged when they differ by more than the published rounding.
{# The metrics an analyst can publish: brief columns and the unit they are held in. #}
{% set metrics = {
    'weekly_return': 'fraction',
    'benchmark_return': 'fraction',
    'excess_return': 'fraction',
    'rank_in_level': 'rank',
    'close': 'index points',
    'pe_ttm_ex_negative': 'multiple',
    'pe_ttm_percentile_5y': 'fraction',
    'sw_pe': 'multiple',
    'sw_pe_percentile_5y': 'fraction',
    'software_revenue': '亿元',
    'software_revenue_yoy': 'fraction',
    'software_profit': '亿元',
    'software_profit_yoy': 'fraction',
    'software_export': '亿美元',
    'software_export_yoy': 'fraction',
} %}

with

figures as (

    select * from {{ ref('stg_analyst__published_figures') }}

),

industries as (

    select * from {{ ref('sw_l1_industries') }}

),

metric_units as (

    {% for metric, unit in metrics.items() %}
        select
            '{{ metric }}' as metric,
            '{{ unit }}' as unit
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

computed as (

    -- The brief's own numbers, one row per metric, in mart units (fractions for percentages).
    select *
    from (
        select
            week_start_date,
            week_end_date,
            index_code,
            {% for metric in metrics %}
                cast({{ metric }} as double) as {{ metric }}{% if not loop.last %},{% endif %}
            {% endfor %}
        from {{ ref('rpt_industry_weekly_brief') }}
        where week_start_date in (select figures.week_start_date from figures)
    )
    unpivot include nulls (computed_value for metric in ({{ metrics | join(', ') }}))

),

compared as (

    select
        figures.week_start_date,
        computed.week_end_date,
        industries.index_code,
        industries.index_name,
        figures.industry,
        figures.metric,
        metric_units.unit,
        figures.value_text as published_text,
        figures.published_value,
        computed.computed_value,
        figures.published_value - computed.computed_value as difference,
        figures.rounding_tolerance,
        case
            when industries.index_code is null then 'unknown industry'
            when metric_units.metric is null then 'unknown metric'
            when figures.published_value is null then 'published value is not a number'
            when figures.is_percent and metric_units.unit != 'fraction'
                then 'published as a percentage, but the metric is not one'
            when not figures.is_percent and metric_units.unit = 'fraction'
                then 'a percentage: write it with a % sign'
            when computed.metric is null then 'no brief for this industry and week'
            when computed.computed_value is null then 'not computed for this industry and week'
        end as note

    from figures
    left join industries
        on figures.industry in (industries.index_code, industries.industry_code, industries.index_name)
    left join metric_units
        on figures.metric = metric_units.metric
    left join computed
        on
            figures.week_start_date = computed.week_start_date
            and industries.index_code = computed.index_code
            and figures.metric = computed.metric

),

flagged as (

    select
        *,
        case
            when note is not null then 'not_comparable'
            -- A hair above the tolerance: "3.95" has no exact binary float.
            when abs(difference) <= rounding_tolerance * (1 + 1e-9) then 'match'
            else 'mismatch'
        end as status

    from compared

)

select
    week_start_date,
    week_end_date,
    index_code,
    index_name,
    industry,
    metric,
    unit,
    published_text,
    published_value,
    computed_value,
    difference,
    rounding_tolerance,
    status,
    status != 'match' as is_flagged,
    note

from flagged
