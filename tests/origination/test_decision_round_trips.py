"""How many times a credit decision waits for the database, held so that it cannot grow.

On PostgreSQL each wait is a network round trip: the client sends, then waits for the server's
answer. They are counted from libpq's own trace of the wire protocol (``PQtrace``: every message
the client sends, ``F``, and receives, ``B``): a round trip is a run of messages sent followed by
the server's answer. The count covers the decision's unit of work, from the pool's checkout to
its check-in (the pool's pre-ping, before the checkout, is not the decision's). SQLite has no
round trips; there the statements SQLite runs are counted (its trace callback).

The decisions go through ``runner.execute`` exactly as ``POST /applications`` does, audit record
included. Today on PostgreSQL (see ``origination.service``):

* a new applicant approved: BEGIN; the applicant's lock and history (and the decision's id);
  the customer; the line; the two consents; the decision and the audit record; COMMIT -- 7.
* the same applicant again (declined, the 180-day wait): BEGIN; lock and history; the consents;
  the decision and the audit record; COMMIT -- 5.
* an application without consents (declined, nothing kept): BEGIN; history; the decision and the
  audit record; COMMIT -- 4.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from origination_helpers import application, make_id
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import IntegrityError

from lendcore.origination.operations import Decide
from lendcore.runner import Context, execute
from lendcore.store.origination_tables import decisions
from lendcore.store.prepared import Prepared, pipeline
from lendcore.store.uow import UnitOfWork

NOW = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)

# The held counts: (PostgreSQL round trips, SQLite statements) per decision. Lower them when a
# change removes one; a change that adds one fails here.
HELD = {
    "new applicant approved": (7, 10),
    "returning applicant declined": (5, 8),
    "no consents, declined": (4, 6),
}


@dataclass
class Trips:
    """What one measured block sent: the round trips (PostgreSQL) or statements (SQLite), and
    the SQL seen, for the failure message."""

    count: int = 0
    sql: list[str] = field(default_factory=list)


def _pg_trips(trace: str) -> Trips:
    out, sending = Trips(), False
    for line in trace.splitlines():
        side, _, rest = line.partition("\t")
        if side == "F":
            sending = True
            kind = rest.split("\t")[1] if "\t" in rest else ""
            if kind in ("Query", "Parse"):
                out.sql.append(" ".join(rest.split("\t")[2:])[:90])
        elif side == "B" and sending:  # the server answers what was sent: one round trip
            out.count += 1
            sending = False
    return out


@contextmanager
def counted(engine: Engine, tmp_path: Path) -> Iterator[Trips]:
    """Count what the block's database work sends, on every connection checked out in it."""
    trips = Trips()
    traces: list[Path] = []
    statements: list[str] = []

    def checkout(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_conn.set_trace_callback(statements.append)
            return
        import psycopg

        path = tmp_path / f"trace-{len(traces)}.txt"
        traces.append(path)
        dbapi_conn.pgconn.trace(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        dbapi_conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS
                                          | psycopg.pq.Trace.REGRESS_MODE)

    def checkin(dbapi_conn: Any, _record: Any) -> None:
        if engine.dialect.name == "sqlite":
            dbapi_conn.set_trace_callback(None)
        else:
            dbapi_conn.pgconn.untrace()  # flushes the trace

    event.listen(engine, "checkout", checkout)
    event.listen(engine, "checkin", checkin)
    try:
        yield trips
    finally:
        event.remove(engine, "checkout", checkout)
        event.remove(engine, "checkin", checkin)
    if engine.dialect.name == "sqlite":
        trips.count, trips.sql = len(statements), [s[:90] for s in statements]
        return
    for path in traces:
        one = _pg_trips(path.read_text(errors="replace"))
        trips.count += one.count
        trips.sql += one.sql


def _decide(engine: Engine, **overrides: object) -> dict[str, Any]:
    result: dict[str, Any] = execute(engine, Decide(application(**overrides)).prepared(),
                                     ctx=Context(now=NOW))
    return result


def _measure(engine: Engine, tmp_path: Path, decide: Callable[[], dict[str, Any]]
             ) -> tuple[Trips, dict[str, Any]]:
    with counted(engine, tmp_path) as trips:
        result = decide()
    return trips, result


def _hold(engine: Engine, name: str, trips: Trips) -> None:
    held = HELD[name][0 if engine.dialect.name == "postgresql" else 1]
    # The counter sees the decision's own writes and its audit record: it counts for real.
    seen = "\n".join(trips.sql)
    assert "INSERT INTO decisions" in seen, seen
    assert ("audit_log_append" in seen) or ("INSERT INTO audit_log" in seen), seen
    unit = "round trips" if engine.dialect.name == "postgresql" else "statements"
    assert trips.count <= held, f"{name}: {trips.count} {unit}, held at {held}:\n{seen}"


def test_a_decision_waits_for_the_database_no_more_than_held(engine: Engine,
                                                            tmp_path: Path) -> None:
    _decide(engine, id_number=make_id(date(1985, 1, 1)))  # this process has seen the date
    number = make_id(date(1990, 3, 7), sequence="005")

    trips, approved = _measure(engine, tmp_path, lambda: _decide(engine, id_number=number))
    assert approved["decision"] == "approve" and approved["line_id"] is not None
    _hold(engine, "new applicant approved", trips)

    trips, again = _measure(engine, tmp_path, lambda: _decide(engine, id_number=number))
    assert again["decision"] == "decline" and again["customer_id"] == approved["customer_id"]
    _hold(engine, "returning applicant declined", trips)

    no_consent = {"credit_query": False, "sensitive_data": False}
    trips, refused = _measure(engine, tmp_path, lambda: _decide(engine, consents=no_consent))
    assert refused["decision"] == "decline" and refused.get("customer_id") is None
    _hold(engine, "no consents, declined", trips)


def test_the_counter_sees_a_pipeline_save_a_round_trip(engine: Engine, tmp_path: Path) -> None:
    """Two reads alone are two waits more than the same two reads down one pipeline."""
    one = Prepared(text("SELECT 1"))

    def alone() -> None:
        with UnitOfWork(engine) as uow:
            one.first(uow.conn, {})
            one.first(uow.conn, {})

    def pipelined() -> None:
        with UnitOfWork(engine) as uow:
            with pipeline(uow.conn):
                a, b = one.send(uow.conn, {}), one.send(uow.conn, {})
            assert a.one() == b.one() == (1,)

    with counted(engine, tmp_path) as separately:
        alone()
    with counted(engine, tmp_path) as together:
        pipelined()
    if engine.dialect.name == "postgresql":  # BEGIN, 2 reads, ROLLBACK against BEGIN, 1, ROLLBACK
        assert (separately.count, together.count) == (4, 3)
    else:  # SQLite: the same statements either way
        assert separately.count == together.count


def test_decisions_keep_consecutive_ids_equal_to_their_rows(engine: Engine) -> None:
    """On PostgreSQL a decision's id is taken with its history and the row written at commit:
    the ids answered are the rows' ids, one after the other, as an insert would give them."""
    answered = [_decide(engine, id_number=make_id(date(1991, 1, 1), sequence=f"{n:03d}"))
                for n in (11, 13, 15)]
    answered.append(_decide(engine, consents={"credit_query": False, "sensitive_data": False}))
    with engine.connect() as conn:
        rows = conn.execute(select(decisions.c.id, decisions.c.outcome)
                            .order_by(decisions.c.id)).all()
    first = rows[0].id
    assert [r.id for r in rows] == list(range(first, first + 4))
    assert [(a["decision_id"], a["decision"]) for a in answered] == [tuple(r) for r in rows]


def test_a_failed_statement_in_a_pipeline_is_sqlalchemys_exception(engine: Engine) -> None:
    """The business date's key exists: a second insert of it fails, reported as
    ``IntegrityError`` (the runner's handling of key races depends on the class), and the unit
    of work rolls back."""
    add = Prepared(text("INSERT INTO system_state (key, value) VALUES (:k, :v)"))
    with UnitOfWork(engine) as uow, pytest.raises(IntegrityError), pipeline(uow.conn):
        add.execute(uow.conn, {"k": "round-trip-test", "v": "1"})
        add.execute(uow.conn, {"k": "business_date", "v": "2025-01-01"})
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM system_state WHERE key = 'round-trip-test'"))
        assert left.scalar_one() == 0


def test_the_trace_parser_counts_a_send_answered_as_one_round_trip() -> None:
    trace = "\n".join([
        'F\t10\tQuery\t "BEGIN"', 'B\t10\tCommandComplete\t "BEGIN"', "B\t5\tReadyForQuery\t T",
        'F\t30\tParse\t "" "SELECT 1" 0', "F\t4\tSync", 'F\t30\tParse\t "" "SELECT 2" 0',
        "F\t4\tSync", "B\t13\tCommandComplete", "B\t5\tReadyForQuery\t T",
        "B\t5\tReadyForQuery\t T"])
    parsed = _pg_trips(trace)
    assert parsed.count == 2
    assert [re.sub(r"\s+", " ", s) for s in parsed.sql] == [
        ' "BEGIN"', ' "" "SELECT 1" 0', ' "" "SELECT 2" 0']
