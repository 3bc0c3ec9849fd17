"""The audit log in the database: append a record, read the last ones, verify the chain.

The one writer of ``audit_log`` (``lendcore/audit/`` owns it). ``runner.execute`` appends a
record per command through :func:`append`, in the command's own unit of work, as its last write;
the personal-data code appends a record per read of unmasked data through :func:`record_read`
(or :func:`read_unmasked`).

Appends are serialised so the chain stays linear:

* **PostgreSQL**: the database function ``audit_log_append`` (migration ``0010_audit``) takes a
  transaction-level advisory lock, reads the last record and inserts the next one. In a command
  it is queued last on the unit of work's write batch, so it goes down the same pipeline as the
  command's closing writes (no extra round trip) and the lock is held only from there to COMMIT.
  Once a transaction holds the lock it touches nothing but ``audit_log``, so it cannot deadlock
  with another command.
* **SQLite**: the unit of work already holds the one writer's lock (``BEGIN IMMEDIATE``), so the
  last record is read and the next inserted with plain statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine, bindparam, select, text

from lendcore.audit.chain import (
    GENESIS,
    Break,
    Entry,
    Record,
    Walk,
    body,
    canonical_payload,
    classify,
    record_hash,
)
from lendcore.errors import InvalidInput
from lendcore.store.audit_tables import as_utc, audit_log
from lendcore.store.prepared import Prepared
from lendcore.store.uow import UnitOfWork

LOCK_KEY = 0x6C636175646974  # "lcaudit": taken inside audit_log_append (PostgreSQL)
READ_PREFIX = "read:"
REASON_MAX = 500
T = TypeVar("T")


class Who(Protocol):
    """Who acts, from where, when: ``runner.Context`` (read-only attributes)."""

    @property
    def now(self) -> datetime: ...
    @property
    def actor(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def origin(self) -> str: ...


def entry(who: Who, command: str, payload: str, outcome: str, key: str | None = None) -> Entry:
    return Entry(at=who.now, actor=who.actor, role=who.role, origin=who.origin,
                 command=command, payload=payload, outcome=outcome, key=key)


# -- appending ------------------------------------------------------------------------------------
_PG_CALL = ("SELECT audit_log_append(CAST({at} AS timestamptz), CAST({actor} AS text), "
            "CAST({role} AS text), CAST({origin} AS text), CAST({command} AS text), "
            "CAST({payload} AS text), CAST({outcome} AS text), CAST({key} AS text), "
            "CAST({body} AS text))")
_NAMES = ("at", "actor", "role", "origin", "command", "payload", "outcome", "key", "body")
# The pipelined form (psycopg placeholders) and the statement form (SQLAlchemy binds).
_PG_APPEND_SQL = _PG_CALL.format(**{n: f"%({n})s" for n in _NAMES})
_PG_APPEND = Prepared(text(_PG_CALL.format(**{n: f":{n}" for n in _NAMES})))
_TAIL = Prepared(select(audit_log.c.seq, audit_log.c.hash)
                 .order_by(audit_log.c.seq.desc()).limit(1))
_INSERT = Prepared(audit_log.insert())


def _pg_params(e: Entry) -> dict[str, Any]:
    return {"at": as_utc(e.at), "actor": e.actor, "role": e.role, "origin": e.origin,
            "command": e.command, "payload": e.payload, "outcome": e.outcome, "key": e.key,
            "body": body(e)}


def _append_sqlite(conn: Connection, e: Entry) -> None:
    last = _TAIL.first(conn, {})
    seq, prev = (1, GENESIS) if last is None else (int(last[0]) + 1, str(last[1]))
    _INSERT.execute(conn, {
        "seq": seq, "at": e.at, "actor": e.actor, "role": e.role, "origin": e.origin,
        "command": e.command, "payload": e.payload, "outcome": e.outcome,
        "idempotency_key": e.key, "prev_hash": prev, "hash": record_hash(seq, e, prev)})


def append(uow: UnitOfWork, e: Entry) -> None:
    """Append ``e`` in ``uow``'s transaction, as its last write (call just before commit)."""
    if uow.is_postgres and uow.batch.pipelined:
        uow.batch.add(_PG_APPEND_SQL, _pg_params(e))
    else:
        append_now(uow.conn, e)


def append_now(conn: Connection, e: Entry) -> None:
    """Append ``e`` at once on ``conn`` (its transaction; on PostgreSQL the appenders' lock is
    held from here to its end: commit soon)."""
    if conn.get_execution_options().get("lendcore_read_only"):
        raise RuntimeError("an audit record needs a writing unit of work that commits "
                           "(UnitOfWork(engine), not read_only)")
    if conn.dialect.name == "postgresql":
        _PG_APPEND.first(conn, _pg_params(e))
    else:
        _append_sqlite(conn, e)


# -- reads of unmasked personal data -------------------------------------------------------------
def _read_entry(who: Who, what: str, reason: str,
                subject: Mapping[str, Any] | None) -> Entry:
    if not what or any(c.isspace() for c in what) or len(what) > 64:
        raise InvalidInput("must name what is read in 1 to 64 characters without spaces "
                           "(e.g. customer.id_number)", field="what")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidInput("a read of unmasked personal data needs a reason", field="reason",
                           code="reason_required")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"at most {REASON_MAX} characters", field="reason")
    payload: dict[str, Any] = {"reason": reason}
    if subject:
        payload["subject"] = dict(subject)
    return entry(who, READ_PREFIX + what, canonical_payload(payload), "ok")


def record_read(conn: Connection, ctx: Who, what: str, reason: str, *,
                subject: Mapping[str, Any] | None = None) -> None:
    """Log a read of unmasked personal data: a record ``read:<what>`` whose payload holds the
    reason (and ``subject``, e.g. ``{"customer_id": 7}``), in ``conn``'s transaction.

    Call it in a writing unit of work, after the read and just before the commit, and release
    the data only once that commit succeeded: a read that could not be logged is not a read.
    :func:`read_unmasked` does exactly that."""
    append_now(conn, _read_entry(ctx, what, reason, subject))


def read_unmasked(engine: Engine, ctx: Who, what: str, reason: str,
                  fn: Callable[..., T], *args: Any,
                  subject: Mapping[str, Any] | None = None) -> T:
    """``fn(conn, *args)`` and its audit record in one transaction; the value once committed."""
    e = _read_entry(ctx, what, reason, subject)  # refused before anything is read
    with UnitOfWork(engine) as uow:
        value = fn(uow.conn, *args)
        append_now(uow.conn, e)
        uow.commit()
    return value


# -- reading and verifying -----------------------------------------------------------------------
_COLUMNS = (audit_log.c.seq, audit_log.c.at, audit_log.c.actor, audit_log.c.role,
            audit_log.c.origin, audit_log.c.command, audit_log.c.payload, audit_log.c.outcome,
            audit_log.c.idempotency_key, audit_log.c.prev_hash, audit_log.c.hash)


def _record(row: Any) -> Record:
    return Record(int(row.seq), Entry(at=row.at, actor=row.actor, role=row.role,
                                      origin=row.origin, command=row.command,
                                      payload=row.payload, outcome=row.outcome,
                                      key=row.idempotency_key),
                  row.prev_hash, row.hash)


def last(engine: Engine, n: int = 20) -> list[Record]:
    """The last ``n`` records, oldest first."""
    with UnitOfWork(engine, read_only=True) as uow:
        rows = uow.conn.execute(select(*_COLUMNS).order_by(audit_log.c.seq.desc()).limit(n))
        return [_record(r) for r in reversed(rows.all())]


def _in_order(conn: Connection, chunk: int) -> Iterator[Record]:
    query = select(*_COLUMNS).order_by(audit_log.c.seq).limit(chunk)
    after: int | None = None
    while True:
        stmt = query if after is None else query.where(audit_log.c.seq > after)
        rows = conn.execute(stmt).all()
        for row in rows:
            yield _record(row)
        if len(rows) < chunk:
            return
        after = int(rows[-1].seq)


@dataclass(frozen=True, slots=True)
class Verdict:
    records: int  # records checked and found in order
    head: Record | None  # the last record of the intact part
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        head = None if self.head is None else {"seq": self.head.seq, "hash": self.head.hash}
        return {"intact": self.intact, "records": self.records, "head": head,
                "broken": None if self.broken is None else self.broken.as_dict()}


_BY_HASH = select(audit_log.c.seq).where(audit_log.c.hash == bindparam("h"))
_AT_SEQ = select(audit_log.c.hash).where(audit_log.c.seq == bindparam("s"))


def verify(engine: Engine, *, anchor: tuple[int, str] | None = None,
           chunk: int = 5000) -> Verdict:
    """Recompute the chain from record 1; the first record edited, deleted or reordered.

    ``anchor`` (``(seq, hash)``, a head noted earlier, kept outside the database) also catches
    what the chain alone cannot: the last records deleted, or the whole chain rewritten from
    some record on."""
    walk = Walk()
    with UnitOfWork(engine, read_only=True) as uow:
        conn = uow.conn
        for record in _in_order(conn, chunk):
            if not walk.feed(record):
                break
        if walk.suspect is not None:
            s = walk.suspect
            candidates = [s.seq + 1, s.seq - 1]
            before = conn.execute(_BY_HASH, {"h": s.prev_hash}).scalar()
            if before is not None:
                candidates.insert(0, int(before) + 1)
            walk.broken = classify(s, candidates)
        if walk.broken is None and anchor is not None:
            walk.broken = _check_anchor(conn, walk, anchor)
    return Verdict(walk.checked, walk.head, walk.broken)


def _check_anchor(conn: Connection, walk: Walk, anchor: tuple[int, str]) -> Break | None:
    seq, expected = anchor
    head = 0 if walk.head is None else walk.head.seq
    if seq > head:
        return Break(head + 1, "missing",
                     f"records from {head + 1} on are missing (deleted): the anchor says "
                     f"record {seq} existed")
    stored = conn.execute(_AT_SEQ, {"s": seq}).scalar()
    if stored != expected:
        return Break(seq, "edited", f"record {seq} is not the anchored one: the chain up to it "
                     "was rewritten")
    return None
