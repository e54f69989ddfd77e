"""Publishing: marts for BI (Parquet + read-only DuckDB copy) and the weekly brief."""
