"""Runtime configuration from the environment (no wall clock, no globals in the domain).

``LENDCORE_DATABASE_URL``: SQLAlchemy URL; default a SQLite file ``lendcore.db`` in the working
directory (nothing to set up). For PostgreSQL: ``postgresql+psycopg://postgres@127.0.0.1:5432/lendcore``.
``LENDCORE_DASK_SCHEDULER``: address of a Dask scheduler for the nightly run (optional).
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///lendcore.db"


def database_url() -> str:
    return os.environ.get("LENDCORE_DATABASE_URL", DEFAULT_DATABASE_URL)


def dask_scheduler() -> str | None:
    return os.environ.get("LENDCORE_DASK_SCHEDULER") or None
