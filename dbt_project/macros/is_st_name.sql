{#- A stock is ST (ST, *ST) while its short name carries "ST". One rule for the current names
    and for the names of dated name changes. -#}
{% macro is_st_name(name) -%}
coalesce(contains({{ name }}, 'ST'), false)
{%- endmacro %}
