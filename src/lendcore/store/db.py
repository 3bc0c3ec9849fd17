"""Engines and schema upgrades.

``make_engine(url)`` gives a configured engine: SQLite with WAL, foreign keys and a busy timeout
(so concurrent writers wait instead of failing), PostgreSQL through psycopg 3. ``upgrade(engine)``
brings the schema to every head with Alembic; each area keeps its own migration branch
(``branch_labels``) based on the core revision, so areas evolve without a merge queue.

A PostgreSQL engine does not ping a connection before lending it (a round trip per request);
it recovers when the server is lost instead. A statement that fails because the connection is
gone invalidates the whole pool (SQLAlchemy's disconnect handling), so the next unit of work
connects afresh; that failure, and a connect that fails (no server up, or none taking writes),
is raised as :class:`DatabaseUnavailable` (a ``LendcoreError``: 503 ``database_unavailable``
with ``Retry-After`` on the API). The URL may name several servers, the one taking writes
chosen at each connect (libpq's multi-host form, see docs/failover.md)::

    postgresql://lendcore@/lendcore?host=10.0.0.1:5432&host=10.0.0.2:5432&target_session_attrs=read-write
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url

from lendcore.config import database_url
from lendcore.errors import InvalidInput, LendcoreError

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
    connect_args = dict(kwargs.pop("connect_args", {}))
    if "connect_timeout" not in make_url(url).query:  # per host: a silent host is passed over
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "handle_error", _database_unavailable)
    return engine


CONNECT_TIMEOUT_SECONDS = 5
RETRY_AFTER_SECONDS = 1  # what a caller is told to wait (a promotion measured 0.2 to 5 s)


class DatabaseUnavailable(LendcoreError):
    """The database cannot be reached, or no longer takes writes (it failed or is failing
    over). Whether the command was applied is not known (a commit cut off may have landed or
    not): retry it with the same idempotency key, which applies it once either way."""

    code = "database_unavailable"
    http_status = 503
    retry_after_seconds = RETRY_AFTER_SECONDS


# SQLSTATEs of a server that went away or cannot serve this session: connection exceptions
# (class 08), shut down or starting (57P01-57P03), and a read-only server where writes were
# expected (25006: a demoted primary or a standby reached by a single-host URL).
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "25006")


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) says the database is gone:
    :class:`DatabaseUnavailable`, a disconnect SQLAlchemy detected, a psycopg
    ``OperationalError`` without a SQLSTATE or with one of the SQLSTATEs above (the paths that
    run statements on the driver directly, ``store.batch`` and ``store.prepared``, raise
    those without SQLAlchemy's disconnect handling)."""
    seen: BaseException | None = exc
    for _ in range(8):  # a bounded walk down the chain of causes
        if seen is None:
            return False
        if isinstance(seen, DatabaseUnavailable):
            return True
        if getattr(seen, "connection_invalidated", False):
            return True
        if _driver_says_unavailable(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _driver_says_unavailable(exc: BaseException) -> bool:
    """A psycopg ``OperationalError`` of a lost connection: no SQLSTATE (the server never
    answered: refused, closed, timed out) or one of the states above. A statement timeout,
    a deadlock or a serialisation failure carry their own SQLSTATE and are not this."""
    import psycopg

    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate or ""
    return not state or state.startswith("08") or state in _UNAVAILABLE_STATES


def _database_unavailable(ctx: ExceptionContext) -> BaseException | None:
    """SQLAlchemy's ``handle_error`` hook: a lost server becomes :class:`DatabaseUnavailable`.

    Connect failures (``ctx.connection`` is None: refused, timed out, no host taking writes)
    and disconnects SQLAlchemy detected (the pool is then invalidated) are replaced; a
    read-only server also invalidates the pool, so the next connect looks for the primary.
    Anything else (a constraint, a serialisation failure) is left as it is."""
    import psycopg

    error = ctx.original_exception
    if not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return None
    state = error.sqlstate or ""
    connecting = ctx.connection is None
    lost = state.startswith("08") or state in _UNAVAILABLE_STATES
    if connecting and state and not lost:  # e.g. a wrong password: not a server gone
        return None
    if not (connecting or ctx.is_disconnect or lost):
        return None
    if not connecting:
        ctx.is_disconnect = True  # this connection is no use: drop it and the pool with it
    doing = "connecting to" if connecting else "talking to"
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return DatabaseUnavailable(f"the database is unavailable ({doing} it: {first_line}); "
                               "retry (a command that moves money with the same idempotency key)")


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
