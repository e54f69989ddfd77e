"""Ingestion: declared specs, fetchers (live | replay | record), snapshots and the raw DuckDB load.

Plain Python: no Dagster import, so a quant can run it alone.
"""
