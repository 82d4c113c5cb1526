"""Benchmarks of the order status hub: `python -m bench` (or `make bench`).

Measures ingest, dispatch, end to end latency, growth with stored orders and process memory,
against PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL are set, else against the
embedded defaults (SQLite and the SQLite broker), each in a database and broker of its own.
"""
