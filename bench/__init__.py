"""Benchmark: the pipeline at scale against a pandas baseline and a SQL floor (bench/README.md)."""
