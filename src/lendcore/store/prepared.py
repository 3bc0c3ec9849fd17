"""Hot statements compiled once and run straight on the driver's cursor.

SQLAlchemy's ``Connection.execute`` costs about 0.1 ms of Python per statement (execution
context, events, result proxy), even with its compiled cache: on a credit decision of four
statements, more than the database's own work. A :class:`Prepared` statement is an ordinary
SQLAlchemy Core construct (so the SQL is still written once, for both databases), compiled once
per dialect and parameter shape, then executed on the DBAPI cursor of the unit of work's
connection, inside its transaction:

    _FIND = Prepared(select(customers.c.id).where(customers.c.id_number_hash == bindparam("h")))
    row = _FIND.first(uow.conn, {"h": id_hash})

Parameters pass through the types' bind processors and result columns through their result
processors (SQLite keeps a date as text, a boolean as 0/1), so values come back as
``Connection.execute`` gives them. A statement needing Python-side column defaults is refused
(the tables' defaults are server defaults). Driver errors are raised as SQLAlchemy's own
exception classes (``IntegrityError`` ...), so callers handle both paths alike. Use it for the
few statements on a latency-critical path; everything else stays on ``Connection.execute``.

**Pipelines.** Each statement run alone on PostgreSQL is a network round trip: the client sends,
then waits for the answer. Inside :func:`pipeline` the statements go down one psycopg pipeline
(https://www.psycopg.org/psycopg3/docs/advanced/pipeline.html) and the block's end waits once
for all of them; :meth:`Prepared.send` queues a statement whose rows are read after the block
(a read inside it would be a round trip of its own)::

    with pipeline(uow.conn):                       # one round trip on PostgreSQL
        _LOCK.execute(uow.conn, {"h": id_hash})     # queued (its row count is not known: -1)
        sent = _HISTORY.send(uow.conn, {"h": id_hash})
    row = sent.one()                               # already received

The server runs them in order, each seeing the ones before (one transaction). On SQLite (no
round trips) the block changes nothing: each statement runs when called. Inside a pipeline only
prepared statements belong (``Connection.execute`` reads a result's shape at once, which has not
come back yet), and only writes whose row count nobody checks. A driver error raised by the
block (a failed statement is reported when the pipeline is read) is SQLAlchemy's exception
class, as for a statement run alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

Params = dict[str, Any]
Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    """One statement's text for one dialect and parameter shape."""

    sql: str
    positions: tuple[str, ...] | None  # positional drivers (SQLite's ``?``): names in order
    defaults: Params  # the statement's own literals ("decline", the 1 of version + 1)
    binds: dict[str, Processor]
    results: tuple[Processor | None, ...]

    def parameters(self, params: Params) -> Params | tuple[Any, ...]:
        binds = self.binds
        if self.defaults:
            params = {**self.defaults, **params}
        if self.positions is not None:
            return tuple(binds[k](params[k]) if k in binds else params[k]
                         for k in self.positions)
        if not binds:
            return params
        return {k: binds[k](v) if k in binds else v for k, v in params.items()}

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        if not self.results:  # a text() statement: no declared column types
            return tuple(raw)
        return tuple(v if p is None or v is None else p(v)
                     for p, v in zip(self.results, raw, strict=True))


def compile_statement(stmt: ClauseElement, dialect: Dialect,
                      keys: Sequence[str] = ()) -> Compiled:
    """``stmt`` compiled for ``dialect``; ``keys`` are the parameter names (an INSERT's or
    UPDATE's columns come from them, as in ``Connection.execute``)."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise TypeError(f"statement needs Python-side defaults, so it cannot be prepared: "
                        f"{compiled.string[:80]}")
    # The columns a SELECT or a RETURNING gives back, each with its type's result processor.
    results = tuple(entry.type.dialect_impl(dialect).result_processor(dialect, None)
                    for entry in compiled._result_columns)
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    if compiled.escaped_bind_names:
        raise TypeError(f"parameter names needing escapes: {compiled.escaped_bind_names}")
    defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()
                if not bind.required and name not in keys}
    binds: dict[str, Processor] = {k: p for k, p in compiled._bind_processors.items()
                                   if callable(p)}
    return Compiled(compiled.string, positions, defaults, binds, results)


class Prepared:
    """A Core statement, compiled once per (dialect, parameter names), run on the raw cursor."""

    __slots__ = ("_cache", "stmt")

    def __init__(self, stmt: ClauseElement) -> None:
        self.stmt = stmt
        self._cache: dict[tuple[str, tuple[str, ...]], Compiled] = {}

    def compiled(self, dialect: Dialect, params: Params) -> Compiled:
        key = (dialect.name, tuple(params))
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = compile_statement(self.stmt, dialect, tuple(params))
        return found

    def _run(self, conn: Connection, params: Params) -> tuple[Any, Compiled]:
        dialect = conn.dialect
        compiled = self.compiled(dialect, params)
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        args = compiled.parameters(params)
        try:
            cursor.execute(compiled.sql, args)
        except dialect.loaded_dbapi.Error as exc:
            cursor.close()
            raise DBAPIError.instance(compiled.sql, args, exc,
                                      dialect.loaded_dbapi.Error) from exc
        return cursor, compiled

    def execute(self, conn: Connection, params: Params) -> int:
        """Run a write; the number of rows it touched."""
        cursor, _ = self._run(conn, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Params) -> tuple[Any, ...] | None:
        """The first row (a SELECT, or a write's RETURNING), its values processed."""
        cursor, compiled = self._run(conn, params)
        try:
            raw = cursor.fetchone()
        finally:
            cursor.close()
        return None if raw is None else compiled.row(raw)

    def one(self, conn: Connection, params: Params) -> tuple[Any, ...]:
        row = self.first(conn, params)
        if row is None:
            raise LookupError("the statement returned no row")
        return row

    def send(self, conn: Connection, params: Params) -> Sent:
        """Run (inside :func:`pipeline`: queue) the statement; its rows are read from the
        answer, after the pipeline's block."""
        cursor, compiled = self._run(conn, params)
        return Sent(cursor, compiled)


class Sent:
    """A statement sent by :meth:`Prepared.send`: its first row, read once."""

    __slots__ = ("_compiled", "_cursor")

    def __init__(self, cursor: Any, compiled: Compiled) -> None:
        self._cursor = cursor
        self._compiled = compiled

    def first(self) -> tuple[Any, ...] | None:
        """The first row, its values processed (None: no row)."""
        try:
            raw = self._cursor.fetchone()
        finally:
            self._cursor.close()
        return None if raw is None else self._compiled.row(raw)

    def one(self) -> tuple[Any, ...]:
        row = self.first()
        if row is None:
            raise LookupError("the statement returned no row")
        return row


@contextmanager
def pipeline(conn: Connection) -> Iterator[None]:
    """The block's prepared statements in one round trip on PostgreSQL (psycopg's pipeline
    mode); on another driver, as if there were no block. See the module's docstring."""
    dialect = conn.dialect
    if dialect.name != "postgresql" or dialect.driver != "psycopg":
        yield
        return
    driver = conn.connection.driver_connection
    try:
        with driver.pipeline():  # type: ignore[union-attr]
            yield
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance("pipelined statements", None, exc,
                                  dialect.loaded_dbapi.Error) from exc
