"""Alembic environment: runs online against the engine handed over in ``config.attributes``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import lendcore.store.tables  # noqa: F401  (registers every table on the metadata)
from lendcore.store.base import metadata
from lendcore.store.db import make_engine

config = context.config
engine: Engine = config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
