-- One row per SW L1 industry and week with every number a weekly sector brief needs: return vs
-- CSI 300 and rank, the 4-week, year-to-date and 52-week returns, the L2 sub-industries, stock
-- counts and movers, the analyst's key companies, valuation and its 5-year percentiles, industry
-- statistics, and which of the row's inputs were synthetic.
with

industry_weeks as (

    select * from {{ ref('fct_industry_weekly_returns') }}
    where sw_level = 1

),

l2_weeks as (

    select * from {{ ref('fct_industry_weekly_returns') }}
    where sw_level = 2 and l1_index_code is not null

),

sub_industries as (

    -- The L1's L2 industries that week, best first, with the provenance of their week's bars.
    select
        l2_weeks.week_end_date,
        l2_weeks.l1_index_code as index_code,
        to_json(
            list(
                {
                    'index_code': l2_weeks.index_code,
                    'index_name': l2_weeks.index_name,
                    'weekly_return': l2_weeks.weekly_return,
                    'rank_in_l1': l2_weeks.rank_in_l1,
                    'n_in_l1': l2_weeks.n_in_l1,
                    'rank_in_level': l2_weeks.rank_in_level,
                    'n_in_level': l2_weeks.n_in_level
                }
                order by l2_weeks.rank_in_l1, l2_weeks.index_code
            )
        ) as sub_industries

    from l2_weeks
    group by l2_weeks.week_end_date, l2_weeks.l1_index_code

),

sub_industry_provenance as (

    select
        l2_weeks.week_end_date,
        l2_weeks.l1_index_code as index_code,
        {{ max_provenance('sw_bars.provenance') }} as provenance

    from l2_weeks
    inner join {{ ref('stg_akshare__sw_index_bars') }} as sw_bars
        on
            l2_weeks.index_code = sw_bars.index_code
            and sw_bars.trade_date between l2_weeks.week_start_date and l2_weeks.week_end_date
    group by l2_weeks.week_end_date, l2_weeks.l1_index_code

),

key_company_list as (

    select * from {{ ref('key_companies') }}

),

key_company_weeks as (

    select
        industry_weeks.week_end_date,
        industry_weeks.index_code,
        key_company_list.symbol,
        key_company_list.name,
        key_company_list.note

    from industry_weeks
    inner join key_company_list
        on industry_weeks.index_code = key_company_list.index_code

),

key_company_valuations as (

    select
        symbol,
        trade_date,
        pe_ttm,
        total_market_cap,
        provenance
    from {{ ref('stg_akshare__stock_valuations') }}
    where symbol in (select key_company_list.symbol from key_company_list)

),

key_company_valued as (

    -- Valuation on the stock's last day with one on or before the week's end.
    select
        key_company_weeks.*,
        key_company_valuations.trade_date as valuation_date,
        key_company_valuations.pe_ttm,
        key_company_valuations.total_market_cap / 1e8 as market_cap_yi,
        key_company_valuations.provenance as valuation_provenance

    from key_company_weeks
    asof left join key_company_valuations
        on
            key_company_weeks.symbol = key_company_valuations.symbol
            and key_company_weeks.week_end_date >= key_company_valuations.trade_date

),

key_company_json as (

    -- A key company that is not a member of the industry that week keeps its row, with a null
    -- status and return.
    select
        key_company_valued.week_end_date,
        key_company_valued.index_code,
        to_json(
            list(
                {
                    'symbol': key_company_valued.symbol,
                    'name': key_company_valued.name,
                    'note': key_company_valued.note,
                    'status': stocks.status,
                    'weekly_return': stocks.weekly_return,
                    'rank_in_industry': stocks.rank_in_industry,
                    'n_in_industry': stocks.n_in_industry,
                    'pe_ttm': key_company_valued.pe_ttm,
                    'market_cap_yi': key_company_valued.market_cap_yi,
                    'valuation_date': key_company_valued.valuation_date
                }
                order by key_company_valued.market_cap_yi desc nulls last, key_company_valued.symbol asc
            )
        ) as key_companies,
        {{ max_provenance('key_company_valued.valuation_provenance') }} as valuation_provenance

    from key_company_valued
    left join {{ ref('fct_stock_weekly_returns') }} as stocks
        on
            key_company_valued.week_end_date = stocks.week_end_date
            and key_company_valued.symbol = stocks.symbol
            and key_company_valued.index_code = stocks.l1_index_code
    group by key_company_valued.week_end_date, key_company_valued.index_code

),

news_companies as (

    -- Whose headlines a brief lists: the week's top and bottom movers and the key companies.
    select
        week_end_date,
        index_code,
        symbol,
        max(name) as name

    from (
        select
            week_end_date,
            index_code,
            symbol,
            stock_name as name
        from {{ ref('mart_industry_movers') }}
        where side in ('top', 'bottom')
        union all
        select
            week_end_date,
            index_code,
            symbol,
            name
        from key_company_weeks
    ) as companies
    group by week_end_date, index_code, symbol

),

company_news as (

    -- Their headlines published in the brief's own Monday-Sunday week, newest first, and how
    -- many of them have any headline recorded at all (none: the snapshot holds no news for them).
    select
        news_companies.week_end_date,
        news_companies.index_code,
        to_json(
            list(
                {
                    'symbol': news_companies.symbol,
                    'name': news_companies.name,
                    'published_at': news.published_at,
                    'publisher': news.publisher,
                    'title': news.title,
                    'url': news.url
                }
                order by news.published_at desc, news.symbol asc, news.url asc
            ) filter (where news.week_start_date = industry_weeks.week_start_date)
        ) as company_news,
        count(distinct news.symbol) as n_news_companies

    from news_companies
    inner join industry_weeks
        on
            news_companies.week_end_date = industry_weeks.week_end_date
            and news_companies.index_code = industry_weeks.index_code
    left join {{ ref('stg_akshare__stock_news') }} as news
        on news_companies.symbol = news.symbol
    group by news_companies.week_end_date, news_companies.index_code

),

benchmark_names as (

    select
        index_code as benchmark_code,
        arg_max(index_name, trade_date) as benchmark_name

    from {{ ref('stg_akshare__csi_index_bars') }}
    group by index_code

),

stock_returns as (

    select * from {{ ref('int_stock_returns_weekly') }}

),

stock_counts as (

    select
        week_end_date,
        l1_index_code as index_code,
        count(*) filter (where status = 'traded' and weekly_return is not null) as n_stocks_ranked,
        count(*) filter (where status = 'new_listing') as n_new_listings,
        count(*) filter (where status = 'suspended') as n_suspended,
        count(*) filter (where is_st) as n_st,
        {{ max_provenance('bar_provenance') }} as stock_daily_provenance,
        {{ max_provenance('membership_provenance') }} as sw_classification_provenance,
        {{ max_provenance('name_provenance') }} as stock_names_provenance

    from stock_returns
    group by week_end_date, l1_index_code

),

movers as (

    select
        week_end_date,
        index_code,
        to_json(
            list(
                {
                    'symbol': symbol,
                    'name': stock_name,
                    'weekly_return': weekly_return,
                    'is_st': is_st,
                    'is_name_point_in_time': is_name_point_in_time
                }
                order by position
            ) filter (where side = 'top')
        ) as top_movers,
        to_json(
            list(
                {
                    'symbol': symbol,
                    'name': stock_name,
                    'weekly_return': weekly_return,
                    'is_st': is_st,
                    'is_name_point_in_time': is_name_point_in_time
                }
                order by position
            ) filter (where side = 'bottom')
        ) as bottom_movers

    from {{ ref('mart_industry_movers') }}
    group by week_end_date, index_code

),

sw_bar_provenance as (

    -- Provenance of the bars behind each weekly close (index and benchmark).
    select
        industry_weeks.week_end_date,
        industry_weeks.index_code,
        {{ max_provenance('sw_bars.provenance') }} as provenance

    from industry_weeks
    inner join {{ ref('stg_akshare__sw_index_bars') }} as sw_bars
        on
            industry_weeks.index_code = sw_bars.index_code
            -- From the earliest close a return of the row starts from (the 52-week base).
            and sw_bars.trade_date between least(
                industry_weeks.return_base_date,
                industry_weeks.base_date_4w,
                industry_weeks.base_date_ytd,
                industry_weeks.base_date_52w
            )
            and industry_weeks.week_end_date
    group by industry_weeks.week_end_date, industry_weeks.index_code

),

benchmark_bar_provenance as (

    select
        weeks.week_end_date,
        {{ max_provenance('csi_bars.provenance') }} as provenance

    from (
        select
            week_end_date,
            min(
                least(return_base_date, base_date_4w, base_date_ytd, base_date_52w)
            ) as week_start_date
        from industry_weeks
        group by week_end_date
    ) as weeks
    inner join {{ ref('stg_akshare__csi_index_bars') }} as csi_bars
        on
            csi_bars.index_code = '{{ var("benchmark_code") }}'
            and csi_bars.trade_date between weeks.week_start_date and weeks.week_end_date
    group by weeks.week_end_date

),

valuations as (

    select * from {{ ref('fct_industry_valuation') }}
    where pe is not null

),

valuation_dates as (

    select
        index_code,
        trade_date as valuation_date
    from valuations
    group by index_code, trade_date

),

week_valuation_dates as (

    -- The last trading day on or before the week's end with a valuation of either method.
    select
        industry_weeks.week_end_date,
        industry_weeks.index_code,
        valuation_dates.valuation_date

    from industry_weeks
    asof join valuation_dates
        on
            industry_weeks.index_code = valuation_dates.index_code
            and industry_weeks.week_end_date >= valuation_dates.valuation_date

),

pe_ttm_provenance as (

    select
        index_code,
        trade_date,
        valuation_provenance,
        membership_provenance
    from {{ ref('int_industry_pe_ttm_daily') }}

),

stat_sources as (

    select * from {{ ref('industry_stat_sources') }}

),

software_stats as (

    select * from {{ ref('fct_software_industry_stats') }}
    where segment = 'total'

),

software_periods as (

    select
        period_type,
        period_end,
        period_label,
        -- Publication date when known; otherwise assume MIIT's usual lag after the period end,
        -- so an undated release is not shown before it can have been out.
        coalesce(
            published_date,
            cast(period_end + to_days({{ var("miit_unknown_publication_lag_days") }}) as date)
        ) as available_date

    from software_stats
    group by period_type, period_end, period_label, published_date

),

week_software_periods as (

    -- The latest year-to-date or annual period (latest period_end <= week_end_date) already
    -- published by the week's end; an annual bulletin wins over a year-to-date release of the
    -- same period.
    select
        industry_weeks.week_end_date,
        industry_weeks.index_code,
        software_periods.period_type,
        software_periods.period_end,
        software_periods.period_label

    from industry_weeks
    inner join stat_sources
        on
            industry_weeks.index_code = stat_sources.index_code
            and stat_sources.stats_source = 'miit_software'
    inner join software_periods
        on
            industry_weeks.week_end_date >= software_periods.period_end
            and industry_weeks.week_end_date >= software_periods.available_date
    qualify
        row_number() over (
            partition by industry_weeks.week_end_date, industry_weeks.index_code
            order by
                software_periods.period_end desc,
                software_periods.period_type = 'annual' desc
        ) = 1

),

week_software_stats as (

    select
        week_software_periods.week_end_date,
        week_software_periods.index_code,
        week_software_periods.period_end as stats_period_end,
        week_software_periods.period_label as stats_period_label,
        max(software_stats.value) filter (where software_stats.metric = 'revenue')
            as software_revenue,
        max(software_stats.yoy) filter (where software_stats.metric = 'revenue')
            as software_revenue_yoy,
        max(software_stats.value) filter (where software_stats.metric = 'profit_total')
            as software_profit,
        max(software_stats.yoy) filter (where software_stats.metric = 'profit_total')
            as software_profit_yoy,
        max(software_stats.value) filter (where software_stats.metric = 'export')
            as software_export,
        max(software_stats.yoy) filter (where software_stats.metric = 'export')
            as software_export_yoy,
        {{ max_provenance('staged_stats.provenance') }} as provenance

    from week_software_periods
    inner join software_stats
        on
            week_software_periods.period_type = software_stats.period_type
            and week_software_periods.period_end = software_stats.period_end
    inner join {{ ref('stg_miit__software_stats') }} as staged_stats
        on
            software_stats.period_type = staged_stats.period_type
            and software_stats.period_end = staged_stats.period_end
            and software_stats.metric = staged_stats.metric
            and software_stats.segment = staged_stats.segment
    group by
        week_software_periods.week_end_date,
        week_software_periods.index_code,
        week_software_periods.period_end,
        week_software_periods.period_label

),

assembled as (

    select
        industry_weeks.week_end_date,
        industry_weeks.week_start_date,
        industry_weeks.trading_days_in_week,
        industry_weeks.index_code,
        industry_weeks.index_name,
        industry_weeks.close,
        industry_weeks.weekly_return,
        industry_weeks.rank_in_level,
        industry_weeks.n_in_level,
        industry_weeks.benchmark_code,
        benchmark_names.benchmark_name,
        industry_weeks.benchmark_return,
        industry_weeks.excess_return,
        industry_weeks.prev_week_end_date,
        industry_weeks.return_base_date,
        industry_weeks.closed_weekdays_before_week,
        case
            when industry_weeks.return_base_date < industry_weeks.prev_week_end_date
                then
                    'from the close of ' || strftime(industry_weeks.return_base_date, '%Y-%m-%d')
                    || ', the index''s last close on or before '
                    || strftime(industry_weeks.prev_week_end_date, '%Y-%m-%d')
            when industry_weeks.closed_weekdays_before_week > 0
                then
                    'from the close of ' || strftime(industry_weeks.return_base_date, '%Y-%m-%d')
                    || ', the last trading day before the holiday'
            when industry_weeks.trading_days_in_week < 5
                then
                    'from the close of ' || strftime(industry_weeks.return_base_date, '%Y-%m-%d')
                    || ', the previous week''s last trading day'
        end as return_base_note,
        {%- for horizon in ['4w', 'ytd', '52w'] %}
            industry_weeks.base_date_{{ horizon }},
            industry_weeks.return_{{ horizon }},
            industry_weeks.rank_{{ horizon }}_in_level,
            industry_weeks.n_{{ horizon }}_in_level,
            industry_weeks.benchmark_return_{{ horizon }},
        {%- endfor %}
        coalesce(cast(sub_industries.sub_industries as varchar), '[]') as sub_industries,
        coalesce(cast(key_company_json.key_companies as varchar), '[]') as key_companies,
        coalesce(cast(company_news.company_news as varchar), '[]') as company_news,
        cast(coalesce(company_news.n_news_companies, 0) as integer) as n_news_companies,
        cast(coalesce(stock_counts.n_stocks_ranked, 0) as integer) as n_stocks_ranked,
        cast(coalesce(stock_counts.n_new_listings, 0) as integer) as n_new_listings,
        cast(coalesce(stock_counts.n_suspended, 0) as integer) as n_suspended,
        cast(coalesce(stock_counts.n_st, 0) as integer) as n_st,
        coalesce(cast(movers.top_movers as varchar), '[]') as top_movers,
        coalesce(cast(movers.bottom_movers as varchar), '[]') as bottom_movers,
        week_valuation_dates.valuation_date,
        ttm.pe as pe_ttm_ex_negative,
        ttm.percentile_5y as pe_ttm_percentile_5y,
        ttm.window_start_5y as pe_ttm_window_start_5y,
        ttm.n_obs_5y as pe_ttm_n_obs_5y,
        sw_pe.pe as sw_pe,
        sw_pe.percentile_5y as sw_pe_percentile_5y,
        sw_pe.window_start_5y as sw_pe_window_start_5y,
        sw_pe.n_obs_5y as sw_pe_n_obs_5y,
        stat_sources.stats_source,
        week_software_stats.stats_period_end,
        week_software_stats.stats_period_label,
        week_software_stats.software_revenue,
        week_software_stats.software_revenue_yoy,
        week_software_stats.software_profit,
        week_software_stats.software_profit_yoy,
        week_software_stats.software_export,
        week_software_stats.software_export_yoy,
        week_software_stats.provenance as software_stats_provenance,
        -- Inputs in lineage order; each is listed when the rows this brief row used were synthetic.
        list_filter(
            [
                case
                    when sw_bar_provenance.provenance = 'synthetic'
                        or sub_industry_provenance.provenance = 'synthetic'
                        then 'sw_index_daily'
                end,
                case
                    when benchmark_bar_provenance.provenance = 'synthetic'
                        then 'csi_index_daily'
                end,
                case
                    when stock_counts.sw_classification_provenance = 'synthetic'
                        or pe_ttm_provenance.membership_provenance = 'synthetic'
                        then 'sw_classification'
                end,
                case when stock_counts.stock_names_provenance = 'synthetic' then 'stock_names' end,
                case when stock_counts.stock_daily_provenance = 'synthetic' then 'stock_daily' end,
                case
                    when pe_ttm_provenance.valuation_provenance = 'synthetic'
                        or key_company_json.valuation_provenance = 'synthetic'
                        then 'stock_valuation'
                end,
                case when sw_pe.is_synthetic then 'sw_index_valuation' end,
                case
                    when week_software_stats.provenance = 'synthetic'
                        then 'miit_software_stats'
                end
            ],
            lambda dataset: dataset is not null  -- noqa: RF02
        ) as synthetic_input_list

    from industry_weeks
    left join benchmark_names
        on industry_weeks.benchmark_code = benchmark_names.benchmark_code
    left join stock_counts
        on
            industry_weeks.week_end_date = stock_counts.week_end_date
            and industry_weeks.index_code = stock_counts.index_code
    left join movers
        on
            industry_weeks.week_end_date = movers.week_end_date
            and industry_weeks.index_code = movers.index_code
    left join sw_bar_provenance
        on
            industry_weeks.week_end_date = sw_bar_provenance.week_end_date
            and industry_weeks.index_code = sw_bar_provenance.index_code
    left join benchmark_bar_provenance
        on industry_weeks.week_end_date = benchmark_bar_provenance.week_end_date
    left join sub_industries
        on
            industry_weeks.week_end_date = sub_industries.week_end_date
            and industry_weeks.index_code = sub_industries.index_code
    left join sub_industry_provenance
        on
            industry_weeks.week_end_date = sub_industry_provenance.week_end_date
            and industry_weeks.index_code = sub_industry_provenance.index_code
    left join key_company_json
        on
            industry_weeks.week_end_date = key_company_json.week_end_date
            and industry_weeks.index_code = key_company_json.index_code
    left join company_news
        on
            industry_weeks.week_end_date = company_news.week_end_date
            and industry_weeks.index_code = company_news.index_code
    left join week_valuation_dates
        on
            industry_weeks.week_end_date = week_valuation_dates.week_end_date
            and industry_weeks.index_code = week_valuation_dates.index_code
    left join valuations as ttm
        on
            week_valuation_dates.index_code = ttm.index_code
            and week_valuation_dates.valuation_date = ttm.trade_date
            and ttm.pe_method = 'ttm_ex_negative'
    left join pe_ttm_provenance
        on
            ttm.index_code = pe_ttm_provenance.index_code
            and ttm.trade_date = pe_ttm_provenance.trade_date
    left join valuations as sw_pe
        on
            week_valuation_dates.index_code = sw_pe.index_code
            and week_valuation_dates.valuation_date = sw_pe.trade_date
            and sw_pe.pe_method = 'sw_published'
    left join stat_sources
        on industry_weeks.index_code = stat_sources.index_code
    left join week_software_stats
        on
            industry_weeks.week_end_date = week_software_stats.week_end_date
            and industry_weeks.index_code = week_software_stats.index_code

)

select
    * exclude (synthetic_input_list, software_stats_provenance),
    len(synthetic_input_list) > 0 as uses_synthetic_data,
    array_to_string(synthetic_input_list, ',') as synthetic_inputs

from assembled
