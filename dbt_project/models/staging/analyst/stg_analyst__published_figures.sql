with

source as (

    select * from {{ source('analyst', 'analyst_published_figures') }}

),

compacted as (

    select
        cast(trim(week_date) as date) as week_date,
        trim(industry) as industry,
        lower(trim(metric)) as metric,
        trim(value) as value_text,
        -- "1,234.5" and "3.95 %" are numbers as published: drop separators and spaces.
        regexp_replace(value, '[,\s]', '', 'g') as compact_value,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

parsed as (

    select
        *,
        -- A number with an optional unit: 3.95% (percent), 57.6x (multiple), 2/31 (a rank of 31).
        nullif(
            regexp_extract(compact_value, '^([+-]?[0-9]*\.?[0-9]+)(%|x|X|/[0-9]+)?$', 1), ''
        ) as number_text,
        regexp_extract(compact_value, '^[+-]?[0-9]*\.?[0-9]+(%|x|X|/[0-9]+)?$', 1) = '%'
            as is_percent

    from compacted
    {{ latest_load_only(['week_date', 'industry', 'metric']) }}

),

renamed as (

    select
        week_date,
        -- The Monday of the week: weeks are identified by their last trading day downstream.
        cast(date_trunc('week', week_date) as date) as week_start_date,
        industry,
        metric,
        value_text,
        is_percent,
        case
            when is_percent then {{ percent_to_fraction('number_text') }}
            else cast(number_text as double)
        end as published_value,
        -- Decimals as published: a difference within half of the last digit is rounding.
        0.5 * pow(10, -length(split_part(coalesce(number_text, ''), '.', 2)))
        / (case when is_percent then 100 else 1 end) as rounding_tolerance,
        provenance,
        loaded_at

    from parsed

)

select * from renamed
