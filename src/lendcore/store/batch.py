"""Writes sent together: a command's closing writes in one round trip on PostgreSQL.

A repayment ends with six or seven writes (its event, the loan row, the installment it paid, the
ledger entry, the credit line, the idempotency record) whose results nothing reads. Sent one by
one they are one network round trip each; on PostgreSQL a ``WriteBatch`` sends them down one
psycopg pipeline (https://www.psycopg.org/psycopg3/docs/advanced/pipeline.html) and waits once.

    batch = WriteBatch(conn)
    batch.add(stmt, params, expect_rows=1, conflict=Conflict(...))
    ...
    batch.run()   # one round trip; a statement that touched the wrong number of rows raises

On SQLite (in-process, no round trips) each ``add`` executes at once and checks its row count
there, so the two databases see the same statements in the same order. On PostgreSQL nothing
queued is visible to reads until ``run()``: only statements whose results nothing reads before
the commit belong in a batch.

Statements are SQLAlchemy Core constructs compiled once per shape for the connection's dialect,
their parameters passed through the type's bind processors; one that needs Python-side defaults
is refused (it would be written wrong), so the tables' defaults must be server defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.dml import UpdateBase

from lendcore.store.prepared import Compiled, compile_statement

Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Queued:
    sql: str
    params: Params | list[Params]
    expect_rows: int | None
    conflict: Exception | None


_COMPILED: dict[tuple[int, str, tuple[str, ...]], tuple[UpdateBase, Compiled]] = {}


def _compiled(conn: Connection, stmt: UpdateBase, keys: tuple[str, ...]) -> Compiled:
    """``stmt`` compiled for the connection's dialect (``store.prepared``), once per shape."""
    cache_key = (id(stmt), conn.dialect.name, keys)
    cached = _COMPILED.get(cache_key)
    if cached is not None and cached[0] is stmt:
        return cached[1]
    compiled = compile_statement(stmt, conn.dialect, keys)
    _COMPILED[cache_key] = (stmt, compiled)
    return compiled


class WriteBatch:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.pipelined = conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"
        self._queue: list[_Queued] = []

    def add(self, stmt: UpdateBase | str, params: Params | list[Params], *,
            expect_rows: int | None = None, conflict: Exception | None = None) -> None:
        """Queue one statement (a list of parameter sets: one statement per set). With
        ``expect_rows``, a statement that touched another number of rows raises ``conflict``.
        A ``str`` statement is PostgreSQL SQL with ``%(name)s`` placeholders (pipelined only)."""
        if not self.pipelined:
            if isinstance(stmt, str):
                raise TypeError("raw SQL statements are for the PostgreSQL pipeline only")
            result = self.conn.execute(stmt, params)
            _check(result.rowcount, expect_rows, conflict)
            return
        if isinstance(stmt, str):
            self._queue.append(_Queued(stmt, params, expect_rows, conflict))
            return
        first = params[0] if isinstance(params, list) else params
        compiled = _compiled(self.conn, stmt, tuple(sorted(first)))
        ready = ([compiled.parameters(p) for p in params] if isinstance(params, list)
                 else compiled.parameters(params))
        # PostgreSQL's placeholders are named, so the parameters are dicts, never tuples.
        self._queue.append(_Queued(compiled.sql, ready, expect_rows, conflict))  # type: ignore[arg-type]

    def run(self) -> None:
        """Send everything queued in one pipeline, then check the row counts."""
        queue, self._queue = self._queue, []
        if not queue:
            return
        driver = self.conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        cursors: list[psycopg.Cursor[Any]] = []
        try:
            with driver.pipeline():
                for q in queue:
                    cur = driver.cursor()
                    if isinstance(q.params, list):
                        cur.executemany(q.sql, q.params)
                    else:
                        cur.execute(q.sql, q.params)
                    cursors.append(cur)
        except psycopg.Error as exc:
            # The same exception classes as a statement run through SQLAlchemy, so callers
            # (the runner's idempotency race, unique keys) handle both alike.
            raise DBAPIError.instance("pipelined writes", None, exc, psycopg.Error) from exc
        for q, cur in zip(queue, cursors, strict=True):
            _check(cur.rowcount, q.expect_rows, q.conflict)


def _check(rowcount: int, expect_rows: int | None, conflict: Exception | None) -> None:
    if expect_rows is not None and rowcount != expect_rows:
        raise conflict or RuntimeError(f"expected {expect_rows} rows, the write touched "
                                       f"{rowcount}")
