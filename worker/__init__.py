"""Hiroba's rq jobs: ingest, publish, rebuild, and the reconciler that re-enqueues owed work."""
