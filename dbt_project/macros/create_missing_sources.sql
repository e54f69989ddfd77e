{#- Creates every declared source table that does not exist yet, empty, with the column types
    declared in sources.yml. Used only to give dbt unit tests an empty warehouse to introspect:
        dbt run-operation create_missing_sources
    It never touches a table that exists. -#}
{% macro create_missing_sources() %}
    {%- for node in graph.sources.values() -%}
        {%- set relation = api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.identifier) -%}
        {%- if load_relation(relation) is none -%}
            {%- set columns = [] -%}
            {%- for column in node.columns.values() -%}
                {%- do columns.append(adapter.quote(column.name) ~ ' ' ~ column.data_type) -%}
            {%- endfor -%}
            {%- do run_query('create schema if not exists ' ~ adapter.quote(node.schema)) -%}
            {%- do run_query('create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ')') -%}
            {{ log('created empty ' ~ relation, info=true) }}
        {%- endif -%}
    {%- endfor -%}
    {#- run-operation does not commit on its own. -#}
    {%- do adapter.commit() -%}
{% endmacro %}
