"""Collections services on SQLite and PostgreSQL: cases, contacts, agencies, plans, complaints."""

from __future__ import annotations

from datetime import date

import pytest
from collections_helpers import add_customer, add_loan, pay, set_loan
from sqlalchemy import Engine, delete, select, text, update

from lendcore.collections import complaint_service, queries, service
from lendcore.collections.cases import Role
from lendcore.collections.guard import Outcome
from lendcore.collections.plans import PlanOffer
from lendcore.errors import RuleViolation
from lendcore.store.collections_tables import collection_case_history, collection_contacts
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

D1 = date(2026, 3, 1)


def history_events(uow: UnitOfWork, case_id: int) -> list[str]:
    return list(uow.conn.execute(select(collection_case_history.c.event).where(
        collection_case_history.c.case_id == case_id).order_by(collection_case_history.c.id))
        .scalars())


def test_a_case_opens_one_day_past_grace_refreshes_and_closes_when_nothing_is_overdue(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn)
        first = add_loan(uow.conn, cid, 1, dpd=3, overdue_principal_fen=50_000)
        second = add_loan(uow.conn, cid, 2, dpd=0)
        assert service.sync_cases(uow, D1).opened == []  # dpd = grace: no case
        set_loan(uow.conn, first, dpd=4)
        set_loan(uow.conn, second, dpd=40, overdue_principal_fen=20_000)
        report = service.sync_cases(uow, date(2026, 3, 2))
        (case_id,) = report.opened
        assert service.sync_cases(uow, date(2026, 3, 2)).updated == []  # idempotent
        case = queries.case_detail(uow, case_id, Role.SUPERVISOR)
        assert (case["bucket"], case["max_dpd"], case["next_action"]) == ("M2", 40,
                                                                         "intensive_call")
        assert case["amounts"]["overdue_principal"] == "700.00"
        assert queries.case_detail(uow, case_id, Role.COLLECTOR)["amounts"][
            "overdue_principal"] == "500-1000"
        set_loan(uow.conn, second, dpd=0, overdue_principal_fen=0)
        service.sync_cases(uow, date(2026, 3, 3))
        set_loan(uow.conn, first, dpd=0, overdue_principal_fen=0)
        assert service.sync_cases(uow, date(2026, 3, 4)).closed == [case_id]
        assert history_events(uow, case_id) == ["opened", "updated", "closed"]
        assert queries.list_cases(uow) == []
        set_loan(uow.conn, first, dpd=5, overdue_principal_fen=10_000)
        assert service.sync_cases(uow, date(2026, 4, 5)).opened == [case_id]  # one per borrower
        assert history_events(uow, case_id)[-1] == "reopened"


def _open_case(uow: UnitOfWork, dpd: int = 10, zone: str = "Asia/Shanghai") -> tuple[int, int]:
    cid = add_customer(uow.conn, zone)
    lid = add_loan(uow.conn, cid, 1, dpd=dpd, overdue_principal_fen=90_000,
                   interest_receivable_fen=15_000, penalty_receivable_fen=9_000)
    (case_id,) = service.sync_cases(uow, D1).opened
    return case_id, lid


def _call(at: str, **kw: object) -> dict[str, object]:
    data: dict[str, object] = {"channel": "call", "to": "borrower", "at": at,
                               "collector_id": "C042", "recorded": True}
    data.update(kw)
    return data


def test_contacts_are_appended_refusals_too_kept_five_years_and_never_rewritten(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow)
        answered = service.ContactOutcome(Outcome.ANSWERED, "rec-1")
        for hour in (9, 10, 11):
            verdict, _ = service.record_contact(
                uow, case_id, service.proposal_from(_call(f"2026-03-02T{hour:02d}:00+08:00")),
                answered)
            assert verdict.allowed
        verdict, refused_id = service.record_contact(
            uow, case_id, service.proposal_from(_call("2026-03-02T15:00+08:00")), answered)
        assert verdict.codes == ["answered_call_limit"]
        rows = uow.conn.execute(select(collection_contacts).order_by(collection_contacts.c.id)
                                ).mappings().all()
        assert [r["allowed"] for r in rows] == [True, True, True, False]
        assert rows[0]["retain_until"] == date(2031, 3, 2)
        assert rows[-1]["outcome"] is None and rows[-1]["id"] == refused_id
        uow.commit()
    for statement in (update(collection_contacts).values(outcome="no_answer"),
                      delete(collection_contacts)):
        with UnitOfWork(engine) as uow, pytest.raises(Exception, match="append-only"):
            uow.conn.execute(statement)
    with UnitOfWork(engine) as uow:
        assert len(uow.conn.execute(select(collection_contacts)).all()) == 4


def test_the_guard_reads_the_borrowers_zone_from_the_customer(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow, zone="Asia/Tokyo")
        ok = service.check_contact_for_case(
            uow, case_id, service.proposal_from(_call("2026-03-02T19:59+08:00")))
        late = service.check_contact_for_case(
            uow, case_id, service.proposal_from(_call("2026-03-02T20:00+08:00")))
        assert ok.allowed and late.codes == ["outside_internal_window"]  # 21:00 in Tokyo


def test_a_broken_promise_to_pay_moves_the_case_on(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, lid = _open_case(uow)
        promise = service.ContactOutcome(Outcome.ANSWERED, "rec-1", 50_000, date(2026, 3, 5))
        service.record_contact(uow, case_id,
                               service.proposal_from(_call("2026-03-02T10:00+08:00")), promise)
        pay(uow.conn, lid, date(2026, 3, 4), 20_000)  # part only
        assert service.sync_cases(uow, date(2026, 3, 5)).promises_broken == 0  # not yet due
        assert service.sync_cases(uow, date(2026, 3, 6)).promises_broken == 1
        case = queries.case_detail(uow, case_id, Role.SUPERVISOR)
        assert case["next_action"] == "intensive_call"  # M1 escalated one rung
        assert case["promises"][0]["status"] == "broken"
        assert "promise_broken" in history_events(uow, case_id)


def test_an_agency_gets_a_case_only_after_the_outsourcing_notice_and_a_current_review(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow, dpd=100)
        service.add_agency(uow, "AG-OLD", "Old Agency", date(2024, 1, 10))
        service.add_agency(uow, "AG1", "Agency One", date(2025, 9, 1))
        with pytest.raises(RuleViolation) as err:
            service.assign_agency(uow, case_id, "AG1", D1)
        assert err.value.code == "outsourcing_notice_missing"
        service.record_outsourcing_notice(uow, case_id, channel="sms", sent_on=D1)
        with pytest.raises(RuleViolation) as err:
            service.assign_agency(uow, case_id, "AG-OLD", D1)
        assert err.value.code == "agency_review_overdue"
        service.assign_agency(uow, case_id, "AG1", D1)
        case = queries.case_detail(uow, case_id)
        assert case["assignee"] == {"kind": "agency", "agency": "AG1"}
        assert case["next_action"] == "agency_collection"
        other = service.check_contact_for_case(
            uow, case_id, service.proposal_from(_call("2026-03-02T10:00+08:00",
                                                      agency_code="AG-OLD")))
        assert other.codes == ["agency_not_assigned"]


def restructure_for_test(uow: UnitOfWork, loan_id: int, offer: PlanOffer) -> None:
    """What servicing will do, reduced: the loan is current on its new schedule."""
    uow.conn.execute(update(loans).where(loans.c.id == loan_id).values(
        dpd=0, bucket="M0", overdue_principal_fen=0, overdue_interest_fen=0,
        penalty_receivable_fen=0, installments_count=offer.installments_count,
        method=offer.method.value))


def test_a_signed_plan_freezes_collection_and_a_missed_installment_reopens_it(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, lid = _open_case(uow, dpd=45)
        plan_id, offer = service.offer_plan(uow, case_id, lid, installments=60, offered_on=D1,
                                            proposed_by="C042")
        assert offer.installments_count == 60
        service.sign_plan(uow, plan_id, signed_on=date(2026, 3, 2), signed_by="borrower",
                          apply_restructure=restructure_for_test)
        loan = uow.conn.execute(select(loans).where(loans.c.id == lid)).mappings().one()
        assert loan["class_floor_until"] == date(2027, 3, 2) and loan["restructured"]
        assert loan["risk_class"] == "special_mention"
        frozen = service.check_contact_for_case(
            uow, case_id, service.proposal_from(_call("2026-03-03T10:00+08:00")))
        assert frozen.codes == ["plan_in_force"]
        service.sync_cases(uow, date(2026, 3, 3))  # nothing overdue: the case closes
        set_loan(uow.conn, lid, dpd=4, overdue_principal_fen=10_000)  # missed installment
        report = service.sync_cases(uow, date(2026, 4, 6))
        assert report.plans_broken == 1 and report.opened == [case_id]
        reopened = service.check_contact_for_case(
            uow, case_id, service.proposal_from(_call("2026-04-06T10:00+08:00")))
        assert reopened.allowed
        detail = queries.case_detail(uow, case_id, Role.SUPERVISOR)
        assert detail["plans"][0]["status"] == "broken"
        assert detail["plans"][0]["special_transaction"] == "negotiated_repayment"


def test_complaints_have_deadlines_and_the_overdue_ones_come_first(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn)
        late = complaint_service.open_complaint(uow, cid, channel="app", received_on=D1,
                                                summary="催收电话太多")
        complex_ = complaint_service.open_complaint(
            uow, cid, channel="regulator", received_on=date(2026, 3, 2), summary="利息计算有误",
            complex_=True)
        extended = complaint_service.open_complaint(uow, cid, channel="call",
                                                    received_on=date(2026, 2, 20), summary="x")
        with pytest.raises(RuleViolation):
            complaint_service.extend_complaint(uow, extended, days=61, approved_by="S1",
                                               reason="needs bank records")
        assert complaint_service.extend_complaint(
            uow, extended, days=60, approved_by="S1", reason="needs bank records",
        ) == date(2026, 4, 21)
        rows = complaint_service.list_complaints(uow, date(2026, 3, 17))
        assert [r["id"] for r in rows] == [late, complex_, extended]
        assert [r["overdue"] for r in rows] == [True, False, False]
        assert rows[1]["deadline"] == "2026-04-01"


def test_triggers_exist_for_every_append_only_table(engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            names = set(conn.execute(text(
                "select tgname from pg_trigger where not tgisinternal")).scalars())
        else:
            names = set(conn.execute(text(
                "select name from sqlite_master where type = 'trigger'")).scalars())
    joined = " ".join(names)
    for table in ("collection_contacts", "collection_case_history", "collection_notices"):
        assert table in joined
