{#- The first day an incremental run rebuilds, as a date literal's text. Rows from that day on are
    recomputed (the run's weeks, late or corrected bars); older rows are kept. none on a full
    build: a new table, or `dbt build --full-refresh`. See docs/scale.md.

    A pipeline run passes var rebuild_since, its scope's first rebuilt day (orchestration/scope.py),
    which its GX checks then validate from. A dbt run by hand without it rebuilds from the Monday
    of the latest week `column` holds in this model, minus var('incremental_lookback_weeks'). -#}
{% macro incremental_since(column) -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set scoped = var('rebuild_since', none) -%}
    {%- if scoped -%}
        {{ return(scoped) }}
    {%- endif -%}
    {%- set query -%}
        select cast(date_trunc('week', max({{ column }})) as date)
            - {{ 7 * var('incremental_lookback_weeks') }}
        from {{ this }}
    {%- endset -%}
    {%- set since = run_query(query).columns[0].values()[0] -%}
    {{ return(since.isoformat() if since else none) }}
{%- endmacro %}
