{#- The first day an incremental run rebuilds, as a date literal's text: the Monday of the latest
    week `column` already holds in this model, minus var('incremental_lookback_weeks') weeks.
    Rows from that day on are recomputed (the current week, late or corrected bars); older rows are
    kept. none on a full build: a new table, or `dbt build --full-refresh`. See docs/scale.md. -#}
{% macro incremental_since(column) -%}
    {%- if not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select cast(date_trunc('week', max({{ column }})) as date)
            - {{ 7 * var('incremental_lookback_weeks') }}
        from {{ this }}
    {%- endset -%}
    {%- set since = run_query(query).columns[0].values()[0] -%}
    {%- set since = since.isoformat() if since else none -%}
    {#- Raw rows that changed before the window (a corrected old bar) widen it: the run passes
        var rebuild_since, the Monday of their earliest week (orchestration/assets.py). -#}
    {%- set pending = var('rebuild_since', none) -%}
    {%- if pending and (since is none or pending < since) -%}
        {{ return(pending) }}
    {%- endif -%}
    {{ return(since) }}
{%- endmacro %}
