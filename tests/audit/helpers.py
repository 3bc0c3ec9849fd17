"""Commands of the tests' own (no area involved) and direct access to the audit table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from lendcore.errors import RuleViolation
from lendcore.runner import Command, Context, execute
from lendcore.store.audit_tables import audit_log
from lendcore.store.core_tables import system_state
from lendcore.store.uow import UnitOfWork

CTX = Context(now=datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC), actor="tester",
              origin="test")


@dataclass(frozen=True, slots=True)
class Note(Command):
    """Writes one row (``note:<text>`` in system_state) and returns it."""

    name: ClassVar[str] = "test.note"
    text: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Any:
        uow.conn.execute(system_state.insert().values(key=f"note:{self.text}", value=ctx.actor))
        return {"noted": self.text}


@dataclass(frozen=True, slots=True)
class Refuse(Command):
    """Writes a row, then is refused: the row must not stay."""

    name: ClassVar[str] = "test.refuse"
    why: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Any:
        uow.conn.execute(system_state.insert().values(key=f"refused:{self.why}", value="x"))
        raise RuleViolation(self.why, code="test_refused")


def notes(engine: Engine, n: int, ctx: Context = CTX) -> None:
    for i in range(n):
        execute(engine, Note(f"n{i}"), ctx=ctx)


def rows(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log).order_by(audit_log.c.seq)).all())


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def has_key(engine: Engine, key: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(system_state.c.key).where(system_state.c.key == key)
                            ).first() is not None


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A connection that may change audit rows: first shown refused, then the guard is taken
    off explicitly (PostgreSQL: the superuser disables the trigger; SQLite: drops them), and
    put back on PostgreSQL afterwards."""
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("UPDATE audit_log SET actor = actor"))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        yield conn
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        conn.commit()


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    id_number: str
    mobile: str


@dataclass(frozen=True, slots=True)
class Enrol(Command):
    """A command carrying personal data, as an application does."""

    name: ClassVar[str] = "test.enrol"
    person: Person
    amount_fen: int

    def run(self, uow: UnitOfWork, ctx: Context) -> Any:
        return {"enrolled": True}
