{#- Weekly closes of a daily close series, with the as-of rule used for every weekly return in
    the project (SW indices, the benchmark and stocks):

    - close      = the key's last close within the trading week (null when it has no bar that week);
    - prev_close = the key's last close on or before the previous trading week's last day
                   (prev_week_end_date), however many weeks back that bar is.

    Emits three CTEs for a model's WITH clause: <name>_bar_weeks, <name>_starts and <name>, the
    last with one row per key and trading week from the key's first bar on. `bars` needs the key
    column, trade_date, close and provenance; `trading_weeks` is int_trading_weeks (one row per
    trading day). Bars on days that are not trading days of int_trading_weeks are ignored.

    <name>_starts has one row per key: its first bar, the week of it, and its last bar.

    `since` (a date's text, from incremental_since) limits <name>_bar_weeks and <name> to the weeks
    from `since` on, for an incremental run: the previous close of the first of them is then the
    key's last close before `since`, taken from all of its history. -#}
{% macro weekly_close_ctes(name, bars, trading_weeks, key, since=none) -%}
{{ name }}_bar_weeks as (

    select
        {{ bars }}.{{ key }},
        {{ trading_weeks }}.week_end_date,
        min({{ bars }}.trade_date) as first_bar_date,
        max({{ bars }}.trade_date) as last_bar_date,
        arg_max({{ bars }}.close, {{ bars }}.trade_date) as close,
        {{ max_provenance(bars ~ '.provenance') }} as provenance

    from {{ bars }}
    inner join {{ trading_weeks }}
        on {{ bars }}.trade_date = {{ trading_weeks }}.trade_date
    where
        {{ bars }}.close is not null
        {%- if since %}
            and {{ bars }}.trade_date >= date '{{ since }}'
        {%- endif %}
    group by {{ bars }}.{{ key }}, {{ trading_weeks }}.week_end_date

),

{{ name }}_starts as (
{%- if since %}

    -- The whole history, not only the rebuilt weeks.
    select
        {{ bars }}.{{ key }},
        min({{ trading_weeks }}.week_end_date) as first_bar_week_end_date,
        min({{ bars }}.trade_date) as first_bar_date,
        max({{ bars }}.trade_date) as last_bar_date,
        arg_max({{ bars }}.close, {{ bars }}.trade_date)
            filter (where {{ bars }}.trade_date < date '{{ since }}') as close_before_since

    from {{ bars }}
    inner join {{ trading_weeks }}
        on {{ bars }}.trade_date = {{ trading_weeks }}.trade_date
    where {{ bars }}.close is not null
    group by {{ bars }}.{{ key }}
{%- else %}

    select
        {{ key }},
        min(week_end_date) as first_bar_week_end_date,
        min(first_bar_date) as first_bar_date,
        max(last_bar_date) as last_bar_date

    from {{ name }}_bar_weeks
    group by {{ key }}
{%- endif %}

),

{{ name }} as (

    select
        starts.{{ key }},
        starts.first_bar_date,
        weeks.week_start_date,
        weeks.week_end_date,
        weeks.prev_week_end_date,
        weeks.trading_days_in_week,
        bar_weeks.close,
        bar_weeks.last_bar_date,
        bar_weeks.provenance,
        {%- if since %}
        coalesce(
            last_value(bar_weeks.close ignore nulls) over (
                partition by starts.{{ key }}
                order by weeks.week_end_date
                rows between unbounded preceding and 1 preceding
            ),
            starts.close_before_since
        ) as prev_close
        {%- else %}
        last_value(bar_weeks.close ignore nulls) over (
            partition by starts.{{ key }}
            order by weeks.week_end_date
            rows between unbounded preceding and 1 preceding
        ) as prev_close
        {%- endif %}

    from {{ name }}_starts as starts
    inner join (
        select distinct
            week_start_date,
            week_end_date,
            prev_week_end_date,
            trading_days_in_week
        from {{ trading_weeks }}
        {%- if since %}
        where week_start_date >= date '{{ since }}'
        {%- endif %}
    ) as weeks
        on starts.first_bar_week_end_date <= weeks.week_end_date
    left join {{ name }}_bar_weeks as bar_weeks
        on
            starts.{{ key }} = bar_weeks.{{ key }}
            and weeks.week_end_date = bar_weeks.week_end_date

)
{%- endmacro %}
