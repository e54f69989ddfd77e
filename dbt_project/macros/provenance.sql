{#- Provenance is ordered real < derived < synthetic; a derived value carries the worst of its inputs. -#}

{% macro provenance_rank(column) -%}
    case {{ column }} when 'real' then 1 when 'derived' then 2 when 'synthetic' then 3 end
{%- endmacro %}

{% macro provenance_label(rank_expression) -%}
    case {{ rank_expression }} when 1 then 'real' when 2 then 'derived' when 3 then 'synthetic' end
{%- endmacro %}

{#- Aggregate: the worst provenance among the grouped rows. -#}
{% macro max_provenance(column) -%}
    {{ provenance_label('max(' ~ provenance_rank(column) ~ ')') }}
{%- endmacro %}

{#- Row-wise: the worst of several provenance columns (nulls ignored). -#}
{% macro worst_provenance(columns) -%}
    {%- set ranks = [] -%}
    {%- for column in columns -%}
        {%- do ranks.append(provenance_rank(column)) -%}
    {%- endfor -%}
    {{ provenance_label('greatest(' ~ ranks | join(', ') ~ ')') }}
{%- endmacro %}
