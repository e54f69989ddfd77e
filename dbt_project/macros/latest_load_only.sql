{#- Staging keeps one row per grain: the one from the latest load (_loaded_at, then _load_id).
    A rerun replaces its own calls' rows, but another call can load the same grain again. -#}
{% macro latest_load_only(grain) -%}
qualify
        row_number() over (
            partition by {{ grain | join(', ') }}
            order by _loaded_at desc, _load_id desc
        ) = 1
{%- endmacro %}
