"""Decision service on SQLite and PostgreSQL: records, customers, lines, re-application, review,
all on the server's business date."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from origination_helpers import ON, application, make_id, move_business_date
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from lendcore import pii
from lendcore.customers import store as customers_store
from lendcore.errors import Conflict, RuleViolation
from lendcore.origination import reviews, service
from lendcore.origination.model import Outcome
from lendcore.origination.operations import Decide
from lendcore.reasons import Reason
from lendcore.runner import Context, execute
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import decisions, limit_changes
from lendcore.store.origination_tables import reviews as reviews_table
from lendcore.store.uow import UnitOfWork

KEY = b"test-key"
NOW = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)  # 10:30 in Beijing on ON


def decide(engine: Engine, checked: service.Checked | None = None,
           **overrides: object) -> service.Decided:
    with UnitOfWork(engine) as uow:
        out = service.decide_application(uow, application(**overrides), now=NOW, key=KEY,
                                         checked=checked)
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
    assert "birth_date" not in cust._fields and "gender" not in cust._fields
    assert "110101199003070011" not in json.dumps([str(v) for v in (*cust, *rec)])
    assert "19900307" not in json.dumps([str(v) for v in (*cust, *rec)])
    assert (pii.unseal(cust.name_sealed, customers_store.NAME),
            pii.unseal(cust.id_number_sealed, customers_store.ID_NUMBER),
            pii.unseal(cust.mobile_sealed, customers_store.MOBILE)) == (
        "张三丰", "110101199003070011", "13812345678")
    assert cust.mobile_index == pii.blind_index("13812345678", "mobile")
    assert rec.name_sealed is None and rec.id_number_sealed is None  # the customer holds them
    assert line.product_code == "cash-line" and line.limit_fen == decided.decision.limit_fen
    assert line.daily_rate_ppb == 200_000  # 0.02%/day
    assert rec.customer_id == cust.id and rec.outcome == "approve"
    assert (decided.customer_id, decided.line_id) == (cust.id, line.id)


def test_a_decision_is_dated_by_the_business_date_and_stamped_with_the_server_time(
        engine: Engine) -> None:
    decided = decide(engine)
    with engine.connect() as conn:
        rec = conn.execute(select(decisions)).one()
        line = conn.execute(select(credit_lines)).one()
    assert decided.decided_on == rec.decided_on == line.opened_on == ON
    assert reviews.utc(rec.decided_at) == NOW and decided.decided_at == NOW


def test_a_declines_wait_is_counted_from_the_servers_business_date(engine: Engine) -> None:
    move_business_date(engine, date(2026, 3, 1))
    declined = decide(engine, occupation="student")
    assert declined.decided_on == date(2026, 3, 1)
    assert declined.decision.reapply_after == date(2026, 3, 1) + timedelta(days=180)


def test_a_second_approval_keeps_the_same_customer_and_line(engine: Engine) -> None:
    first = decide(engine)
    move_business_date(engine, ON + timedelta(days=180))  # the first date allowed again
    second = decide(engine)
    assert second.decision.outcome is Outcome.APPROVE
    assert count(engine, customers) == 1 and count(engine, credit_lines) == 1
    assert (second.customer_id, second.line_id) == (first.customer_id, first.line_id)
    assert count(engine, limit_changes) == 0  # same limit: nothing changed, nothing logged


def test_a_returning_customers_new_limit_is_a_logged_change_resting_on_the_decision(
        engine: Engine) -> None:
    first = decide(engine)
    assert first.line_id is not None
    with UnitOfWork(engine) as uow:  # the limit job cut it meanwhile
        customers_store.set_limit(uow.conn, customers_store.LimitChange(
            first.line_id, "cut", 10_000_00, (Reason("paid_late", "late"),), ON, "limit-job"))
        uow.commit()
    move_business_date(engine, ON + timedelta(days=180))  # the first date allowed again
    again = decide(engine)
    with engine.connect() as conn:
        line = conn.execute(select(credit_lines)).one()
        log = conn.execute(select(limit_changes).order_by(limit_changes.c.id)).all()
    assert line.limit_fen == again.decision.limit_fen == 20_000_00
    assert [(c.action, c.old_limit_fen, c.new_limit_fen) for c in log] == [
        ("cut", 20_000_00, 10_000_00), ("set", 10_000_00, 20_000_00)]
    assert (log[1].decision_id, log[1].actor) == (again.decision_id, "local")


def test_missing_consent_keeps_only_the_decision_record(engine: Engine) -> None:
    decided = decide(engine, consents={"credit_query": True, "sensitive_data": False})
    assert decided.decision.outcome is Outcome.DECLINE
    with engine.connect() as conn:
        rec = conn.execute(select(decisions)).one()
    assert rec.id_number_hash is None and rec.inputs_masked_json is None
    assert rec.customer_id is None and rec.score is None and rec.decided_on == ON
    assert count(engine, customers) == 0


def test_a_reapplication_is_declined_until_day_180_and_decided_afresh_on_day_180(
        engine: Engine) -> None:
    first = decide(engine, occupation="student")
    assert first.decision.reapply_after == ON + timedelta(days=180)
    move_business_date(engine, ON + timedelta(days=179))
    day_179 = decide(engine)
    assert day_179.decision.outcome is Outcome.DECLINE
    assert day_179.decision.reasons[0].code == "reapply_too_soon"
    assert day_179.decision.reapply_after == ON + timedelta(days=180)
    move_business_date(engine, ON + timedelta(days=180))
    day_180 = decide(engine)
    assert day_180.decision.outcome is Outcome.APPROVE


def test_a_check_made_on_a_stale_date_is_redone_on_the_servers_date(engine: Engine) -> None:
    """The server checks an application before the lock on the date it last saw; the night has
    moved the date since: the decision is taken on the server's date, never the guess."""
    turns_18 = ON + timedelta(days=1)
    number = make_id(turns_18.replace(year=turns_18.year - 18))
    app = application(id_number=number)
    stale = service.check(app, ON, key=KEY)  # on ON the applicant is 17
    assert stale.assessed.kyc is not None and stale.assessed.kyc.age == 17
    move_business_date(engine, turns_18)
    decided = decide(engine, checked=stale, id_number=number)
    assert decided.decided_on == turns_18
    assert "age_under_18" not in [r.code for r in decided.decision.reasons]
    assert decided.decision.outcome is Outcome.APPROVE
    assert service.expected_business_date() == turns_18
    # ... and the other way: checked as an adult on a later guess, 17 on the server's date.
    move_business_date(engine, ON)
    adult = service.check(application(id_number=make_id(date(2007, 6, 3))), turns_18, key=KEY)
    minor = decide(engine, checked=adult, id_number=make_id(date(2007, 6, 3)))
    assert minor.decided_on == ON and minor.decision.reasons[0].code == "age_under_18"


def test_the_decide_command_runs_through_the_runner_with_the_context_time(
        engine: Engine) -> None:
    command = Decide(application()).prepared()
    out = execute(engine, command, ctx=Context(now=NOW, actor="api"), key="apply-1")
    again = execute(engine, Decide(application()), ctx=Context(now=NOW), key="apply-1")
    assert out == again and out["decision"] == "approve" and out["decided_on"] == ON.isoformat()
    assert out["customer_id"] is not None and out["line_id"] is not None
    assert count(engine, decisions) == 1
    assert command.canonical() == Decide(application()).canonical()


def test_a_review_is_recorded_with_who_and_why_and_one_is_open_at_a_time(engine: Engine) -> None:
    decided = decide(engine, occupation="student")
    move_business_date(engine, ON + timedelta(days=1))
    later = NOW + timedelta(days=1)
    with UnitOfWork(engine) as uow:
        review = reviews.request_review(uow, decided.decision_id, "I graduated", now=later)
        assert (review.requested_on, review.requested_at) == (ON + timedelta(days=1), later)
        with pytest.raises(Conflict):
            reviews.request_review(uow, decided.decision_id, "", now=later)
        queue = reviews.review_queue(uow.conn)
        assert [q.review.review_id for q in queue] == [review.review_id]
        assert queue[0].decision.inputs is not None
        assert queue[0].decision.inputs["id_number"] == "110101********0011"
        with pytest.raises(RuleViolation):  # a decline proposed no terms
            reviews.record_outcome(uow, review.review_id, outcome="approve", reviewer="li",
                                   reason="graduated", now=later)
        out = reviews.record_outcome(uow, review.review_id, outcome="decline",
                                     reviewer="li.wei", reason="enrolment confirmed", now=later)
        uow.commit()
    assert (out.status, out.reviewer, out.outcome) == ("decided", "li.wei", "decline")
    assert (out.decided_on, out.decided_at) == (ON + timedelta(days=1), later)
    with UnitOfWork(engine) as uow:
        assert reviews.review_queue(uow.conn) == []
        explained = reviews.explain(uow.conn, decided.decision_id)
        assert explained.reviews[0].outcome_reason == "enrolment confirmed"


def test_approving_a_referral_on_review_opens_the_line_on_its_terms(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.origination import ladder

    monkeypatch.setattr(ladder.p, "SCORE_APPROVE_MIN", 10_000)  # everyone is referred
    referred = decide(engine, timezone="Asia/Urumqi", name="李四")
    assert referred.decision.outcome is Outcome.REFER and referred.line_id is None
    with engine.connect() as conn:
        kept = conn.execute(select(decisions)).one()
    # The referral keeps the identity sealed for its reviewer, bound to the decision's columns.
    assert pii.unseal(kept.id_number_sealed, "decisions.id_number_sealed") == "110101199003070011"
    with pytest.raises(pii.SealError):
        pii.unseal(kept.id_number_sealed, customers_store.ID_NUMBER)
    with UnitOfWork(engine) as uow:
        review = reviews.request_review(uow, referred.decision_id, "", now=NOW)
        reviews.record_outcome(uow, review.review_id, outcome="approve", reviewer="li.wei",
                               reason="income checked by hand", now=NOW, actor="li.wei")
        uow.commit()
    with engine.connect() as conn:
        line = conn.execute(select(credit_lines)).one()
        cust = conn.execute(select(customers)).one()
        rec = conn.execute(select(decisions)).one()
    assert line.limit_fen == referred.decision.limit_fen and line.opened_on == ON
    assert rec.customer_id == cust.id and cust.timezone == "Asia/Urumqi"
    # The approval opened the decision's sealed identity and sealed it again for the customer.
    assert (pii.unseal(cust.name_sealed, customers_store.NAME),
            pii.unseal(cust.id_number_sealed, customers_store.ID_NUMBER),
            pii.unseal(cust.mobile_sealed, customers_store.MOBILE)) == (
        "李四", "110101199003070011", "13812345678")
    assert (cust.name_masked, cust.id_number_masked) == ("李**", "110101********0011")
    with engine.connect() as conn:
        assert customers_store.customer_by_mobile(conn, "13812345678") == [cust.id]
        assert customers_store.customer_by_id_number(conn, "110101199003070011") is None  # KEY


def test_two_review_requests_at_the_same_moment_open_one_review(engine: Engine) -> None:
    """Both requests pass the "none open yet" check before either commits (PostgreSQL reads
    committed data; SQLite serialises writers, so there the second simply sees the first): the
    unique index on open reviews refuses the second, as the same Conflict."""
    decided = decide(engine, occupation="student")
    first = UnitOfWork(engine).__enter__()
    try:
        reviews.request_review(first, decided.decision_id, "first", now=NOW)
        if engine.dialect.name == "postgresql":
            outcome: list[object] = []

            def second() -> None:
                try:
                    with UnitOfWork(engine) as uow:
                        outcome.append(reviews.request_review(uow, decided.decision_id, "",
                                                              now=NOW))
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
        assert conn.execute(select(reviews_table.c.status)).scalars().all() == ["open"]
    with UnitOfWork(engine) as uow, pytest.raises(IntegrityError):  # the index itself
        uow.conn.execute(reviews_table.insert().values(decision_id=decided.decision_id,
                                                       requested_on=ON, status="open"))


def test_the_decide_commands_payload_is_the_generic_form_of_its_application() -> None:
    """``Decide.canonical`` is written out for speed; it must stay what the runner's generic
    walk of the dataclass gives (without the pre-computed check)."""
    from lendcore.runner import Command

    app = application(id_expiry="2030-01-31")
    checked = Decide(app).prepared() if service.expected_business_date() else Decide(app)
    generic = Command.canonical(Decide(app))
    del generic["checked"]
    assert Decide(app).canonical() == checked.canonical() == generic
    long_term = Decide(application())
    generic = Command.canonical(long_term)
    del generic["checked"]
    assert long_term.canonical() == generic
