"""The SQL floor: the benchmarked marts as plain DuckDB SQL over the raw Parquet, nothing else.

    python -m bench.floor --raw DIR --out DIR

An independent implementation of the rules in docs/metrics.md, written for speed: no staging
dedup (raw Parquet holds one row per grain), no provenance, no tests, no orchestration. It is the
lower bound the pipeline is measured against, and one of the three implementations whose numbers
must agree (bench/compare.py). Writes <out>/<mart>.parquet and prints seconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb

from ingestion.industries import SW_L1_SEED

MIN_OBS_PER_YEAR = 200  # dbt var percentile_min_obs_per_year
MOVERS_N = 5  # dbt var movers_n
BENCHMARK = "000300"  # dbt var benchmark_code
WINDOWS = ", ".join(  # the trailing Y-year windows (d - Y years, d]
    f"w{y} as (partition by index_code, pe_method order by trade_date "
    f"range between interval '{y} years -1 day' preceding and current row)"
    for y in (3, 5, 10)
)

SQL = f"""
-- Trading weeks: calendar days up to the latest SW bar, grouped by Monday.
create temp table days as
select trade_date, cast(date_trunc('week', trade_date) as date) as week_start
from raw_trade_calendar
where trade_date <= (select max(日期) from raw_sw_index_daily);

create temp table weeks as
select week_start, max(trade_date) as week_end,
       lag(max(trade_date)) over (order by week_start) as prev_week_end
from days group by week_start;

create temp table day_weeks as
select days.trade_date, weeks.* from days join weeks using (week_start);

-- Weekly closes of indices: the last close in the week, against the last earlier weekly close.
create temp table index_weeks as
select code, week_end, close, lag(close) over (partition by code order by week_end) as prev_close
from (
    select 代码 as code, week_end, arg_max(收盘, 日期) as close
    from raw_sw_index_daily join day_weeks on 日期 = trade_date
    where 收盘 is not null group by all
    union all
    select 指数代码, week_end, arg_max(收盘, 日期)
    from raw_csi_index_daily join day_weeks on 日期 = trade_date
    where 收盘 is not null and 指数代码 = '{BENCHMARK}' group by all
);

create temp table industry_weekly_returns as
with returns as (
    select i.week_end as week_end_date, s.sw_level, i.code as index_code,
           i.close / i.prev_close - 1 as weekly_return
    from index_weeks i
    join (select distinct 指数代码 as code,
                 case symbol when '一级行业' then 1 when '二级行业' then 2 end as sw_level
          from raw_sw_index_spot) s on s.code = i.code
    where i.prev_close is not null and s.sw_level is not null
),
benchmark as (
    select week_end, close / prev_close - 1 as benchmark_return
    from index_weeks where code = '{BENCHMARK}' and prev_close is not null
)
select r.*,
       cast(rank() over (partition by week_end_date, sw_level order by weekly_return desc) as integer)
           as rank_in_level,
       cast(count(*) over (partition by week_end_date, sw_level) as integer) as n_in_level,
       b.benchmark_return,
       r.weekly_return - b.benchmark_return as excess_return
from returns r left join benchmark b on b.week_end = r.week_end_date;

-- Point-in-time membership.
create temp table memberships as
select lpad(trim(c.symbol), 6, '0') as symbol, c.start_date as valid_from,
       lead(c.start_date) over (partition by c.symbol order by c.start_date) as valid_to,
       l1.index_code as l1_index_code, l1.index_name
from raw_sw_classification c
left join l1 on left(trim(c.industry_code), 2) || '0000' = l1.industry_code;

create temp table names as
select lpad(trim(code), 6, '0') as symbol, trim(name) as stock_name,
       coalesce(contains(name, 'ST'), false) as is_st
from raw_stock_names;

create temp table bar_weeks as
select 股票代码 as symbol, week_end, max(日期) as last_bar_date, arg_max(收盘, 日期) as close
from raw_stock_daily join day_weeks on 日期 = trade_date
where 收盘 is not null group by all;

create temp table stock_spans as
select symbol, min(week_end) as first_week_end, max(last_bar_date) as last_bar_date
from bar_weeks group by symbol;

create temp table stock_weekly_returns as
with rebuilt_weeks as (
    select w.* from weeks w, (select min(week_end) f, max(week_end) l from bar_weeks) h
    where w.week_end > h.f and w.week_end <= h.l
),
member_weeks as (
    select w.week_start, w.week_end, m.symbol, m.l1_index_code, m.index_name
    from rebuilt_weeks w join memberships m
      on w.week_end >= m.valid_from and (m.valid_to is null or w.week_end < m.valid_to)
    where m.l1_index_code is not null
),
with_bars as (
    select mw.*, b.close, p.close as prev_close, s.first_week_end, s.last_bar_date,
           n.symbol is not null as named, n.stock_name, coalesce(n.is_st, false) as is_st
    from member_weeks mw
    left join bar_weeks b on b.symbol = mw.symbol and b.week_end = mw.week_end
    asof left join bar_weeks p on p.symbol = mw.symbol and p.week_end < mw.week_end
    left join stock_spans s on s.symbol = mw.symbol
    left join names n on n.symbol = mw.symbol
)
select week_end as week_end_date, symbol, stock_name, l1_index_code, index_name, close, prev_close,
       case when close is not null and prev_close is not null then close / prev_close - 1 end
           as weekly_return,
       case when close is not null and prev_close is not null then 'traded'
            when close is not null then 'new_listing' else 'suspended' end as status,
       is_st
from with_bars
where (week_end >= first_week_end or (first_week_end is null and named))
  and (last_bar_date >= week_start or named);

create temp table industry_movers as
with ranked as (
    select *,
           row_number() over (partition by week_end_date, l1_index_code
                              order by weekly_return desc, symbol) as top_position,
           row_number() over (partition by week_end_date, l1_index_code
                              order by weekly_return, symbol) as bottom_position,
           count(*) over (partition by week_end_date, l1_index_code) as n_ranked
    from stock_weekly_returns where status = 'traded'
),
counts as (select distinct week_end_date, l1_index_code, n_ranked from ranked)
select week_end_date, l1_index_code as index_code, 'top' as side, top_position as position,
       symbol, weekly_return, n_ranked
from ranked where top_position <= {MOVERS_N}
union all
select week_end_date, l1_index_code, 'bottom', bottom_position, symbol, weekly_return, n_ranked
from ranked where bottom_position <= {MOVERS_N}
union all
select s.week_end_date, s.l1_index_code, 'unranked',
       row_number() over (partition by s.week_end_date, s.l1_index_code order by s.symbol),
       s.symbol, s.weekly_return, coalesce(c.n_ranked, 0)
from stock_weekly_returns s left join counts c using (week_end_date, l1_index_code)
where s.status <> 'traded';

-- PE(TTM), negatives excluded, and its percentiles beside SW's published PE.
create temp table daily_pe as
with member_values as (
    select m.l1_index_code as index_code, v.数据日期 as trade_date, v.总市值 as cap,
           v."PE(TTM)" as pe
    from raw_stock_valuation v
    join days on v.数据日期 = days.trade_date
    join memberships m on lpad(v.symbol, 6, '0') = m.symbol
      and v.数据日期 >= m.valid_from and (m.valid_to is null or v.数据日期 < m.valid_to)
    where v.总市值 is not null and v."PE(TTM)" is not null and m.l1_index_code is not null
)
select index_code, trade_date, 'ttm_ex_negative' as pe_method,
       sum(cap) filter (where pe > 0) / nullif(sum(cap / pe) filter (where pe > 0), 0) as pe,
       cast(count(*) as integer) as n_members,
       cast(count(*) filter (where pe <= 0) as integer) as n_excluded_nonpositive
from member_values group by index_code, trade_date
union all
select replace(trim(指数代码), '.SI', ''), 发布日期, 'sw_published', 市盈率, null, null
from raw_sw_index_valuation where replace(trim(指数代码), '.SI', '') in (select index_code from l1);

create temp table industry_valuation as
with shares as (
    -- cume_dist over the values in the frame = share of them <= the day's value.
    select index_code, pe_method, trade_date,
           cume_dist(order by pe) over w3 as share_3y,
           cume_dist(order by pe) over w5 as share_5y,
           cume_dist(order by pe) over w10 as share_10y
    from daily_pe where pe is not null
    window {WINDOWS}
),
counts as (
    select *,
           count(pe) over w3 as n_obs_3y, count(pe) over w5 as n_obs_5y,
           count(pe) over w10 as n_obs_10y,
           min(trade_date) filter (where pe is not null) over w3 as window_start_3y,
           min(trade_date) filter (where pe is not null) over w5 as window_start_5y,
           min(trade_date) filter (where pe is not null) over w10 as window_start_10y
    from daily_pe
    window {WINDOWS}
)
select c.*,
       case when c.n_obs_3y >= {MIN_OBS_PER_YEAR * 3} then s.share_3y end as percentile_3y,
       case when c.n_obs_5y >= {MIN_OBS_PER_YEAR * 5} then s.share_5y end as percentile_5y,
       case when c.n_obs_10y >= {MIN_OBS_PER_YEAR * 10} then s.share_10y end as percentile_10y
from counts c left join shares s using (index_code, pe_method, trade_date);
"""


def run(raw: Path, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    con = duckdb.connect()
    for folder in sorted(p for p in raw.iterdir() if p.is_dir()):
        con.execute(
            f"CREATE VIEW raw_{folder.name} AS SELECT * FROM read_parquet('{folder}/*.parquet')"
        )
    con.execute(
        "CREATE TEMP TABLE l1 AS SELECT * FROM read_csv($seed, all_varchar = true)",
        {"seed": str(SW_L1_SEED)},
    )
    con.execute(SQL)
    out.mkdir(parents=True, exist_ok=True)
    for table in (
        "industry_weekly_returns",
        "stock_weekly_returns",
        "industry_movers",
        "industry_valuation",
    ):
        con.execute(f"COPY {table} TO '{out / table}.parquet' (FORMAT parquet)")
    return {"seconds": round(time.perf_counter() - started, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--raw", type=Path, required=True, help="raw Parquet: <dataset>/*.parquet")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run(args.raw, args.out)))


if __name__ == "__main__":
    main()
