{#- akshare and MIIT publish percent numbers (13.47 means 13.47%). Staging, and only staging,
    turns them into fractions with this macro. -#}
{% macro percent_to_fraction(column) -%}
    cast({{ column }} as double) / 100
{%- endmacro %}
