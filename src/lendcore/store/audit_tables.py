"""The audit trail: one hash-chained record per command and per read of unmasked personal data.

Owned by ``lendcore/audit/`` (the only writer; see ``docs/audit.md``). Records are appended, never
changed: on PostgreSQL a trigger refuses UPDATE, DELETE and TRUNCATE, and the append itself is the
function ``audit_log_append`` (migration ``0010_audit``), which serialises writers with an
advisory lock; on SQLite triggers refuse UPDATE and DELETE and the unit of work serialises
writers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, Text
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.types import TypeDecorator

from lendcore.store.base import IdType, metadata


class UtcDateTime(TypeDecorator[datetime]):
    """A time-zone-aware instant, stored and returned in UTC on both databases.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no zone, so the UTC wall time is stored and
    UTC is put back on reading. Either way the value read equals the value written, to the
    microsecond (the audit chain hashes it).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return as_utc(value)


def as_utc(value: datetime) -> datetime:
    """An instant in UTC; a naive value is taken as UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


audit_log = Table(
    "audit_log",
    metadata,
    # 1, 2, 3 ... with no gap: the position in the chain (not an autoincrement).
    Column("seq", IdType, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),  # the server's time (ctx.now)
    Column("actor", Text, nullable=False),
    Column("role", Text),  # roles arrive with sign-in
    Column("origin", Text, nullable=False),  # "api 127.0.0.1", "cli", "local" ...
    Column("command", Text, nullable=False),  # a command's name, or "read:<what>"
    Column("payload", Text, nullable=False),  # canonical JSON (Command.canonical())
    Column("outcome", Text, nullable=False),  # "ok", "replayed" or the error code
    Column("idempotency_key", String(128)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
