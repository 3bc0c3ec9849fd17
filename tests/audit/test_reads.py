"""Every read of unmasked personal data is in the same log, with its reason."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Connection, Engine, select

from lendcore import audit
from lendcore.errors import InvalidInput
from lendcore.runner import execute
from lendcore.store.core_tables import system_state
from lendcore.store.uow import UnitOfWork
from tests.audit.helpers import CTX, Note, count, rows


def test_record_read_appends_a_read_record_with_the_reason_in_the_payload(
        engine: Engine) -> None:
    execute(engine, Note("a"), ctx=CTX)
    with UnitOfWork(engine) as uow:
        audit.record_read(uow.conn, CTX, "customer.id_number", "borrower called: identity check",
                          subject={"customer_id": 7})
        uow.commit()
    last = rows(engine)[-1]
    assert (last.seq, last.command, last.outcome, last.actor, last.origin) == (
        2, "read:customer.id_number", "ok", "tester", "test")
    assert json.loads(last.payload) == {"reason": "borrower called: identity check",
                                        "subject": {"customer_id": 7}}
    assert audit.verify(engine).intact


def test_read_unmasked_returns_the_value_only_with_its_record_committed(engine: Engine) -> None:
    def read(conn: Connection, key: str) -> str:
        return str(conn.execute(select(system_state.c.value)
                                .where(system_state.c.key == key)).scalar_one())

    execute(engine, Note("secret"), ctx=CTX)
    value = audit.read_unmasked(engine, CTX, "note", "complaint 42 review", read,
                                "note:secret")
    assert value == "tester"
    assert [r.command for r in rows(engine)] == ["test.note", "read:note"]


@pytest.mark.parametrize(("what", "reason", "field"), [
    ("customer.id_number", "", "reason"),
    ("customer.id_number", "   ", "reason"),
    ("customer.id_number", "x" * 501, "reason"),
    ("", "a reason", "what"),
    ("customer id", "a reason", "what"),
])
def test_a_read_without_a_reason_or_a_name_is_refused_and_nothing_is_read(
        engine: Engine, what: str, reason: str, field: str) -> None:
    called = []
    with pytest.raises(InvalidInput) as refused:
        audit.read_unmasked(engine, CTX, what, reason, lambda conn: called.append(conn))
    assert refused.value.field == field and not called and count(engine) == 0


def test_a_read_record_needs_a_writing_unit_of_work(engine: Engine) -> None:
    with UnitOfWork(engine, read_only=True) as uow, pytest.raises(RuntimeError, match="writing"):
        audit.record_read(uow.conn, CTX, "customer.mobile", "a reason")
