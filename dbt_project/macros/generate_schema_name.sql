{#- Schemas are exactly staging / intermediate / marts / seeds, never prefixed with the target
    schema: BI, Great Expectations and the publisher address them by these names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
