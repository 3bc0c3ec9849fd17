"""Engines and schema upgrades.

``make_engine(url)`` gives a configured engine: SQLite with WAL, foreign keys and a busy timeout
(so concurrent writers wait instead of failing), PostgreSQL through psycopg 3. ``upgrade(engine)``
brings the schema to every head with Alembic; each area keeps its own migration branch
(``branch_labels``) based on the core revision, so areas evolve without a merge queue.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from lendcore.config import database_url
from lendcore.errors import InvalidInput

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and route them through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not (url.startswith("sqlite") or url.startswith("postgresql+psycopg")):
        raise InvalidInput(
            "unsupported database URL; use sqlite:///file.db or postgresql://user@host/db",
            field="database",
        )
    return url


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = normalise_url(url or database_url())
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 60}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 40)
    return create_engine(url, pool_pre_ping=True, **kwargs)


# A server's request connections leave checkpoints to a background thread
# (``checkpoint_in_background``); this high mark only bounds the WAL if that thread stalls.
_SERVER_AUTOCHECKPOINT_PAGES = 100_000


def checkpoint_in_background(engine: Engine, every_seconds: float = 0.5) -> threading.Thread | None:
    """SQLite servers: checkpoint the WAL from a background thread, not from a request.

    SQLite checkpoints when a commit takes the WAL past 1,000 pages, inside that commit: with
    ``synchronous=NORMAL`` it is the only fsync, 5-30 ms, landing on every hundredth decision
    and setting the p99. Here request connections raise that mark and a daemon thread runs
    ``PRAGMA wal_checkpoint(PASSIVE)`` (never blocks readers or writers) every ``every_seconds``
    on its own connection. For PostgreSQL, or an in-memory database, nothing is started.
    """
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None

    def raise_mark(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint={_SERVER_AUTOCHECKPOINT_PAGES}")

    event.listen(engine, "connect", raise_mark)
    engine.dispose()  # connections opened before this point reconnect with the raised mark

    def run() -> None:
        conn = sqlite3.connect(database, timeout=60, isolation_level=None)
        while True:
            time.sleep(every_seconds)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:  # busy or locked: the next round catches up
                continue

    thread = threading.Thread(target=run, name="sqlite-checkpoint", daemon=True)
    thread.start()
    return thread


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin event issue BEGIN itself (pysqlite's own is deferred and lazy).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front: two writers serialise instead of deadlocking
    # on a read-to-write upgrade. Read-only units of work begin deferred and never wait on one.
    # Straight on the driver: through exec_driver_sql the BEGIN cost as much Python as a
    # statement (pysqlite's isolation_level is None, so it starts no transaction of its own).
    begin = "BEGIN" if conn.get_execution_options().get("lendcore_read_only") else "BEGIN IMMEDIATE"
    conn.connection.driver_connection.execute(begin)


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Apply every migration branch up to its head (idempotent)."""
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")
