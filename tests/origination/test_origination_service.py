"""Decision service on SQLite and PostgreSQL: records, customers, lines, re-application, review."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from origination_helpers import ON, application
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict, RuleViolation
from lendcore.origination import service
from lendcore.origination.model import Outcome
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import decisions, reviews
from lendcore.store.uow import UnitOfWork

KEY = b"test-key"


def decide(engine: Engine, **overrides: object) -> service.Decided:
    with UnitOfWork(engine) as uow:
        out = service.decide_application(uow, application(**overrides), key=KEY)
        uow.commit()
    return out


def count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_an_approval_opens_a_customer_with_masked_identity_and_a_cash_line(engine: Engine) -> None:
    decided = decide(engine, name="张三丰")
    assert decided.decision.outcome is Outcome.APPROVE
    with engine.connect() as conn:
        cust = conn.execute(select(customers)).one()
        line = conn.execute(select(credit_lines)).one()
        rec = conn.execute(select(decisions)).one()
    assert (cust.name_masked, cust.id_number_masked, cust.mobile_masked) == (
        "张**", "110101********0011", "138****5678")
    assert cust.birth_date == date(1990, 3, 7) and cust.gender == "M"
    assert "110101199003070011" not in json.dumps([str(v) for v in (*cust, *rec)])
    assert line.product_code == "cash-line" and line.limit_fen == decided.decision.limit_fen
    assert line.daily_rate_ppb == 200_000  # 0.02%/day
    assert rec.customer_id == cust.id and rec.outcome == "approve"


def test_a_second_approval_updates_the_same_customer_and_line(engine: Engine) -> None:
    decide(engine)
    decide(engine, application_date=(ON + timedelta(days=1)).isoformat())
    assert count(engine, customers) == 1 and count(engine, credit_lines) == 1


def test_missing_consent_keeps_only_the_decision_record(engine: Engine) -> None:
    decided = decide(engine, consents={"credit_query": True, "sensitive_data": False})
    assert decided.decision.outcome is Outcome.DECLINE
    with engine.connect() as conn:
        rec = conn.execute(select(decisions)).one()
    assert rec.id_number_hash is None and rec.inputs_masked_json is None
    assert rec.customer_id is None and rec.score is None
    assert count(engine, customers) == 0


def test_a_reapplication_is_declined_until_day_180_and_decided_afresh_on_day_180(
        engine: Engine) -> None:
    first = decide(engine, occupation="student")
    assert first.decision.reapply_after == ON + timedelta(days=180)
    day_179 = decide(engine, application_date=(ON + timedelta(days=179)).isoformat())
    assert day_179.decision.outcome is Outcome.DECLINE
    assert day_179.decision.reasons[0].code == "reapply_too_soon"
    assert day_179.decision.reapply_after == ON + timedelta(days=180)
    day_180 = decide(engine, application_date=(ON + timedelta(days=180)).isoformat())
    assert day_180.decision.outcome is Outcome.APPROVE


def test_a_review_is_recorded_with_who_and_why_and_one_is_open_at_a_time(engine: Engine) -> None:
    decided = decide(engine, occupation="student")
    with UnitOfWork(engine) as uow:
        review = service.request_review(uow, decided.decision_id, ON, "I graduated")
        with pytest.raises(Conflict):
            service.request_review(uow, decided.decision_id, ON)
        queue = service.review_queue(uow)
        assert [q["review_id"] for q in queue] == [review["review_id"]]
        assert queue[0]["decision"]["inputs"]["id_number"] == "110101********0011"
        with pytest.raises(RuleViolation):  # a decline proposed no terms
            service.record_outcome(uow, review["review_id"], outcome="approve", reviewer="li",
                                   reason="graduated", decided_on=ON)
        out = service.record_outcome(uow, review["review_id"], outcome="decline",
                                     reviewer="li.wei", reason="enrolment confirmed",
                                     decided_on=ON + timedelta(days=1))
        uow.commit()
    assert (out["status"], out["reviewer"], out["outcome"]) == ("decided", "li.wei", "decline")
    with UnitOfWork(engine) as uow:
        assert service.review_queue(uow) == []
        assert service.explain(uow, decided.decision_id)["reviews"][0]["outcome_reason"] == (
            "enrolment confirmed")


def test_two_review_requests_at_the_same_moment_open_one_review(engine: Engine) -> None:
    """Both requests pass the "none open yet" check before either commits (PostgreSQL reads
    committed data; SQLite serialises writers, so there the second simply sees the first): the
    unique index on open reviews refuses the second, as the same Conflict."""
    decided = decide(engine, occupation="student")
    first = UnitOfWork(engine).__enter__()
    try:
        service.request_review(first, decided.decision_id, ON, "first")
        if engine.dialect.name == "postgresql":
            outcome: list[object] = []

            def second() -> None:
                try:
                    with UnitOfWork(engine) as uow:
                        outcome.append(service.request_review(uow, decided.decision_id, ON))
                        uow.commit()
                except Conflict as exc:
                    outcome.append(exc)

            worker = threading.Thread(target=second)
            worker.start()  # its insert waits on the first's uncommitted index entry
            worker.join(timeout=0.5)
            assert worker.is_alive()
            first.commit()
            worker.join(timeout=10)
            assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
        else:
            first.commit()
    finally:
        first.__exit__(None, None, None)
    with engine.connect() as conn:
        assert conn.execute(select(reviews.c.status)).scalars().all() == ["open"]
    with UnitOfWork(engine) as uow, pytest.raises(IntegrityError):  # the index itself
        uow.conn.execute(reviews.insert().values(decision_id=decided.decision_id,
                                                 requested_on=ON, status="open"))
