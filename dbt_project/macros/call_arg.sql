{#- Keyword argument of the akshare call that returned the row (the raw _call_args JSON). -#}
{% macro call_arg(name) -%}
    json_extract_string(_call_args, '$.{{ name }}')
{%- endmacro %}
