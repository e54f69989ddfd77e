"""Dagster wiring of ingestion, dbt, quality and publishing. No business logic lives here."""
