{#- Staging keeps one row per grain: the one from the latest load (loaded_at, then load_id).
    A rerun replaces its own calls' rows, but another call can load the same grain again.
    `grain` names output columns: applied after renaming, so each key is computed once per row
    (at 11 M rows, partitioning by the raw expressions took five times as long). -#}
{% macro latest_load_only(grain) -%}
qualify
        row_number() over (
            partition by {{ grain | join(', ') }}
            order by loaded_at desc, load_id desc
        ) = 1
{%- endmacro %}
