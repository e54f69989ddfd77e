{#- A predicate true for the days of the weeks the pipeline serves: from var first_week, the
    Monday of the first weekly partition (orchestration/weeks.py passes it). The marts hold no
    earlier week, so what BI reads and what the Dagster partitions show are the same weeks.
    Earlier history still feeds the intermediate models (return bases, percentile windows).
    Without the var (dbt run by hand) every week is served. -#}
{% macro served_weeks(column) -%}
    {%- set first_week = var('first_week', none) -%}
    {%- if first_week -%}
        {{ column }} >= date '{{ first_week }}'
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
