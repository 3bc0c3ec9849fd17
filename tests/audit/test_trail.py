"""Every command through ``runner.execute`` leaves one record, whatever its outcome."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest
from sqlalchemy import Engine, select, text

import lendcore.audit
from lendcore import audit
from lendcore.errors import Conflict, InvalidInput, RuleViolation
from lendcore.runner import Context, execute
from lendcore.store.core_tables import idempotency_keys
from tests.audit.helpers import (
    CTX,
    Enrol,
    Note,
    Person,
    Refuse,
    count,
    has_key,
    notes,
    rows,
)


def test_a_command_that_runs_appends_who_when_where_what_and_ok(engine: Engine) -> None:
    execute(engine, Note("a"), ctx=CTX, key="k-1")
    [r] = rows(engine)
    assert (r.seq, r.actor, r.role, r.origin, r.command, r.outcome, r.idempotency_key) == (
        1, "tester", None, "test", "test.note", "ok", "k-1")
    assert r.at == CTX.now and r.at.tzinfo is not None
    assert json.loads(r.payload) == {"text": "a"}
    assert r.prev_hash == audit.GENESIS and len(r.hash) == 64
    with engine.connect() as conn:
        request_hash = conn.execute(select(idempotency_keys.c.request_hash)).scalar_one()
    # the stored payload is the idempotency payload, to the byte
    assert hashlib.sha256(r.payload.encode()).hexdigest() == request_hash


def test_records_are_numbered_from_1_without_gaps_and_chained(engine: Engine) -> None:
    notes(engine, 5)
    records = rows(engine)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in pairwise(records))
    verdict = audit.verify(engine)
    assert verdict.intact and verdict.records == 5
    assert verdict.head is not None and verdict.head.hash == records[-1].hash


def test_a_refused_command_changes_nothing_but_is_recorded_with_its_code(engine: Engine) -> None:
    with pytest.raises(RuleViolation):
        execute(engine, Refuse("no"), ctx=CTX, key="r-1")
    assert not has_key(engine, "refused:no")
    [r] = rows(engine)
    assert (r.command, r.outcome, r.idempotency_key) == ("test.refuse", "test_refused", "r-1")
    assert json.loads(r.payload) == {"why": "no"}
    assert audit.verify(engine).intact


def test_a_replay_is_recorded_as_replayed_and_a_conflicting_reuse_as_refused(
        engine: Engine) -> None:
    first = execute(engine, Note("a"), ctx=CTX, key="same")
    assert execute(engine, Note("a"), ctx=CTX, key="same") == first
    with pytest.raises(Conflict):
        execute(engine, Note("b"), ctx=CTX, key="same")
    assert [(r.outcome, r.idempotency_key) for r in rows(engine)] == [
        ("ok", "same"), ("replayed", "same"), ("idempotency_conflict", "same")]
    assert audit.verify(engine).intact


def test_a_malformed_key_is_refused_and_recorded_without_it(engine: Engine) -> None:
    with pytest.raises(InvalidInput):
        execute(engine, Note("a"), ctx=CTX, key="bad key!")
    [r] = rows(engine)
    assert (r.outcome, r.idempotency_key) == ("invalid_input", None)


def test_the_change_and_its_record_commit_together_or_not_at_all(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("the audit write failed")

    monkeypatch.setattr(lendcore.audit, "append", broken)
    with pytest.raises(RuntimeError, match="audit write failed"):
        execute(engine, Note("lost"), ctx=CTX)
    monkeypatch.undo()
    assert not has_key(engine, "note:lost") and count(engine) == 0
    execute(engine, Note("kept"), ctx=CTX)
    assert has_key(engine, "note:kept") and count(engine) == 1


@pytest.mark.postgres
def test_on_postgres_the_record_is_written_by_the_commands_own_transaction(
        engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    execute(engine, Note("x"), ctx=CTX, key="x-1")
    with engine.connect() as conn:
        note = conn.execute(text("SELECT xmin::text FROM system_state WHERE key = 'note:x'"))
        record = conn.execute(text("SELECT xmin::text FROM audit_log WHERE seq = 1"))
        assert note.scalar_one() == record.scalar_one()


def test_the_time_is_the_servers_in_any_zone_and_text_of_any_script_survives(
        engine: Engine) -> None:
    beijing = Context(now=datetime(2026, 3, 2, 10, 0, 0, 7, tzinfo=timezone(timedelta(hours=8))),
                      actor='O"Brien 李伟 \\ ok', origin="api ::1", role="credit officer")
    execute(engine, Note("小米商城 \"quoted\" \\ back"), ctx=beijing)
    [r] = rows(engine)
    assert r.at == beijing.now and r.actor == beijing.actor and r.role == "credit officer"
    assert json.loads(r.payload) == {"text": "小米商城 \"quoted\" \\ back"}
    assert audit.verify(engine).intact


def test_concurrent_commands_keep_one_linear_chain(engine: Engine) -> None:
    def work(w: int) -> None:
        for i in range(15):
            execute(engine, Note(f"w{w}-{i}"), ctx=CTX, key=f"w{w}-{i}")
            if i % 5 == 0:  # a replay and a refusal among them
                execute(engine, Note(f"w{w}-{i}"), ctx=CTX, key=f"w{w}-{i}")
                with pytest.raises(RuleViolation):
                    execute(engine, Refuse(f"w{w}-{i}"), ctx=CTX)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    records = rows(engine)
    assert [r.seq for r in records] == list(range(1, 4 * (15 + 3 + 3) + 1))
    verdict = audit.verify(engine)
    assert verdict.intact and verdict.records == len(records)


def test_personal_data_in_a_command_stays_out_of_the_trail(engine: Engine) -> None:
    command = Enrol(Person("张三", "11010519491231002X", "13800138000"), 500000)
    execute(engine, command, ctx=CTX, key="e-1")
    execute(engine, command, ctx=CTX, key="e-1")
    for r in rows(engine):
        assert json.loads(r.payload) == {"person": {"name": "[redacted]",
                                                    "id_number": "[redacted]",
                                                    "mobile": "[redacted]"},
                                         "amount_fen": 500000}
        assert "11010519491231002X" not in r.payload and "张三" not in r.payload
    with engine.connect() as conn:  # the idempotency payload is still the whole command
        stored = conn.execute(select(idempotency_keys.c.request_hash)).scalar_one()
    assert stored == hashlib.sha256(
        audit.canonical_payload(command.canonical()).encode()).hexdigest()
    with pytest.raises(Conflict):  # another person under the same key is another command
        execute(engine, Enrol(Person("李四", "11010519491231002X", "13800138000"), 500000),
                ctx=CTX, key="e-1")
