with

source as (

    select * from {{ source('miit', 'miit_software_stats') }}

),

renamed as (

    select
        trim(period_type) as period_type,
        -- YYYY-MM -> the last day of that month.
        last_day(cast(trim(period_end) || '-01' as date)) as period_end,
        trim(metric) as metric,
        trim(segment) as segment,
        cast(value as double) as value,
        trim(unit) as unit,
        -- As published, on MIIT's comparable sample of firms: never recomputed from levels.
        {{ percent_to_fraction('yoy_pct') }} as yoy,
        {{ percent_to_fraction('share_pct') }} as share,
        -- MIIT states the cloud/big-data share against IT services revenue, the others against total.
        case
            when trim(segment) = 'cloud_big_data' then 'it_services'
            else 'total'
        end as share_base,
        try_cast(nullif(trim(published_date), '') as date) as published_date,
        nullif(trim(source_url), '') as source_url,
        nullif(trim(note), '') as note,
        _provenance as provenance,
        _loaded_at as loaded_at,
        _load_id as load_id

    from source

),

latest as (

    select * exclude (load_id)
    from renamed
    {{ latest_load_only(['period_type', 'period_end', 'metric', 'segment']) }}

)

select * from latest
