"""Collections services on SQLite and PostgreSQL: cases, contacts, agencies, plans, complaints."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from collections_helpers import add_customer, add_loan, open_day, pay, set_loan
from sqlalchemy import Engine, delete, select, text, update

from lendcore.collections import complaint_service, queries, service
from lendcore.collections.config import Channel
from lendcore.collections.guard import Outcome, ProposedContact, Target
from lendcore.collections.plans import PlanOffer
from lendcore.customers import consents
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.store.collections_tables import collection_case_history, collection_contacts
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

D1 = date(2026, 3, 1)


def history_events(uow: UnitOfWork, case_id: int) -> list[str]:
    return list(uow.conn.execute(select(collection_case_history.c.event).where(
        collection_case_history.c.case_id == case_id).order_by(collection_case_history.c.id))
        .scalars())


def sync(uow: UnitOfWork, day: date) -> service.SyncReport:
    return service.sync_book(uow, day)


def test_a_case_opens_one_day_past_grace_refreshes_and_closes_when_nothing_is_overdue(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn)
        first = add_loan(uow.conn, cid, 1, dpd=3, overdue_principal_fen=50_000)
        second = add_loan(uow.conn, cid, 2, dpd=0)
        assert sync(uow, D1).opened == []  # dpd = grace: no case
        set_loan(uow.conn, first, dpd=4)
        set_loan(uow.conn, second, dpd=40, overdue_principal_fen=20_000)
        report = sync(uow, date(2026, 3, 2))
        (case_id,) = report.opened
        assert sync(uow, date(2026, 3, 2)).updated == []  # idempotent
        case = queries.case_detail(uow.conn, case_id)
        assert (case.case.bucket, case.case.max_dpd, case.case.next_action) == (
            "M2", 40, "intensive_call")
        assert case.case.overdue_principal_fen == 70_000
        set_loan(uow.conn, second, dpd=0, overdue_principal_fen=0)
        sync(uow, date(2026, 3, 3))
        set_loan(uow.conn, first, dpd=0, overdue_principal_fen=0)
        assert sync(uow, date(2026, 3, 4)).closed == [case_id]
        assert history_events(uow, case_id) == ["opened", "updated", "closed"]
        assert queries.list_cases(uow.conn) == []
        set_loan(uow.conn, first, dpd=5, overdue_principal_fen=10_000)
        assert sync(uow, date(2026, 4, 5)).opened == [case_id]  # one per borrower
        assert history_events(uow, case_id)[-1] == "reopened"


def test_the_nightly_step_syncs_only_the_borrowers_of_its_loan_id_range(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        borrowers = [add_customer(uow.conn) for _ in range(3)]
        for cid in borrowers:
            add_loan(uow.conn, cid, 1, dpd=10, overdue_principal_fen=10_000)
            add_loan(uow.conn, cid, 2, dpd=0)
        middle = borrowers[1]
        service.sync_cases(uow, D1, middle * 1_000_000, middle * 1_000_000 + 999_999)
        synced = [c.customer_id for c in queries.list_cases(uow.conn)]
        assert synced == [middle]  # its neighbours on either side are other partitions'
        service.sync_cases(uow, D1, 0, middle * 1_000_000 - 1)
        service.sync_cases(uow, D1, (middle + 1) * 1_000_000, 2**63 - 1)
        assert sorted(c.customer_id for c in queries.list_cases(uow.conn)) == borrowers
        with pytest.raises(ValueError):
            service.sync_range(uow, D1, 5, 4)


def test_the_sync_sends_the_same_few_parameters_for_any_number_of_borrowers(
        engine: Engine) -> None:
    """A book of a million loans once put every customer id in one IN list (PostgreSQL takes
    65,535 parameters at most): the statements' parameters must not grow with the book."""
    from sqlalchemy import event

    def largest_parameter_set(borrowers: int) -> int:
        seen: list[int] = []

        def count(_conn: object, _cursor: object, _sql: str, params: object, *_: object) -> None:
            rows = params if isinstance(params, (list, tuple)) and params and isinstance(
                params[0], (dict, list, tuple)) else [params]
            for row in rows:
                seen.append(len(row) if isinstance(row, (dict, list, tuple)) else 0)

        with UnitOfWork(engine) as uow:
            for _ in range(borrowers):
                add_loan(uow.conn, add_customer(uow.conn), 1, dpd=10,
                         overdue_principal_fen=10_000)
            event.listen(engine, "before_cursor_execute", count)
            try:
                sync(uow, D1)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        return max(seen)

    assert largest_parameter_set(3) == largest_parameter_set(60)


def _open_case(uow: UnitOfWork, dpd: int = 10, zone: str = "Asia/Shanghai") -> tuple[int, int]:
    cid = add_customer(uow.conn, zone)
    lid = add_loan(uow.conn, cid, 1, dpd=dpd, overdue_principal_fen=90_000,
                   interest_receivable_fen=15_000, penalty_receivable_fen=9_000)
    (case_id,) = sync(uow, D1).opened
    return case_id, lid


def _call(at: str, **kw: object) -> ProposedContact:
    values: dict[str, object] = {"channel": Channel.CALL, "target": Target.BORROWER,
                                 "at": datetime.fromisoformat(at), "collector_id": "C042",
                                 "recorded": True}
    values.update(kw)
    return ProposedContact(**values)  # type: ignore[arg-type]


def test_contacts_are_appended_refusals_too_kept_five_years_and_never_rewritten(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow)
        answered = service.ContactOutcome(Outcome.ANSWERED, "rec-1")
        for hour in (9, 10, 11):
            done = service.record_contact(uow, case_id, _call(f"2026-03-02T{hour:02d}:00+08:00"),
                                          answered)
            assert done.allowed
        refused = service.record_contact(uow, case_id, _call("2026-03-02T15:00+08:00"),
                                         answered)
        assert refused.verdict.codes == ["answered_call_limit"]
        rows = uow.conn.execute(select(collection_contacts).order_by(collection_contacts.c.id)
                                ).mappings().all()
        assert [r["allowed"] for r in rows] == [True, True, True, False]
        assert rows[0]["retain_until"] == date(2031, 3, 2)
        assert rows[-1]["outcome"] is None and rows[-1]["id"] == refused.contact_id
        uow.commit()
    for statement in (update(collection_contacts).values(outcome="no_answer"),
                      delete(collection_contacts)):
        with UnitOfWork(engine) as uow, pytest.raises(Exception, match="append-only"):
            uow.conn.execute(statement)
    with UnitOfWork(engine) as uow:
        assert len(uow.conn.execute(select(collection_contacts)).all()) == 4


def test_a_promise_to_pay_is_for_the_borrowers_today_or_later(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow, zone="Asia/Tokyo")
        at = "2026-03-02T23:30+08:00"  # 00:30 on 3 March in Tokyo
        yesterday = service.ContactOutcome(Outcome.ANSWERED, "rec-1", 10_000, date(2026, 3, 2))
        with pytest.raises(InvalidInput) as err:
            service.record_contact(uow, case_id, _call(at), yesterday)
        assert err.value.field == "promise_date"
        today = service.ContactOutcome(Outcome.ANSWERED, "rec-1", 10_000, date(2026, 3, 3))
        assert service.record_contact(uow, case_id, _call(at), today).verdict.codes == [
            "quiet_hours", "outside_internal_window"]


def test_the_guard_reads_the_borrowers_zone_from_the_customer(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, _ = _open_case(uow, zone="Asia/Tokyo")
        ok = service.check_contact_for_case(uow.conn, case_id, _call("2026-03-02T19:59+08:00"))
        late = service.check_contact_for_case(uow.conn, case_id,
                                              _call("2026-03-02T20:00+08:00"))
        assert ok.allowed and late.codes == ["outside_internal_window"]  # 21:00 in Tokyo


def test_a_broken_promise_to_pay_moves_the_case_on(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, lid = _open_case(uow)
        promise = service.ContactOutcome(Outcome.ANSWERED, "rec-1", 50_000, date(2026, 3, 5))
        service.record_contact(uow, case_id, _call("2026-03-02T10:00+08:00"), promise)
        pay(uow.conn, lid, date(2026, 3, 4), 20_000)  # part only
        assert sync(uow, date(2026, 3, 5)).promises_broken == 0  # not yet due
        assert sync(uow, date(2026, 3, 6)).promises_broken == 1
        case = queries.case_detail(uow.conn, case_id)
        assert case.case.next_action == "intensive_call"  # M1 escalated one rung
        assert case.promises[0].status == "broken"
        assert "promise_broken" in history_events(uow, case_id)


def test_a_promise_paid_in_full_by_its_date_is_kept(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        case_id, lid = _open_case(uow)
        promise = service.ContactOutcome(Outcome.ANSWERED, "rec-1", 50_000, date(2026, 3, 5))
        service.record_contact(uow, case_id, _call("2026-03-02T10:00+08:00"), promise)
        pay(uow.conn, lid, date(2026, 3, 3), 30_000)
        pay(uow.conn, lid, date(2026, 3, 5), 20_000)
        assert sync(uow, date(2026, 3, 6)).promises_broken == 0
        assert queries.case_detail(uow.conn, case_id).promises[0].status == "kept"


def test_an_agency_gets_a_case_only_after_the_outsourcing_notice_and_a_current_review(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        case_id, _ = _open_case(uow, dpd=100)
        service.add_agency(uow, "AG-OLD", "Old Agency", date(2024, 1, 10))
        service.add_agency(uow, "AG1", "Agency One", date(2025, 9, 1))
        with pytest.raises(RuleViolation) as err:
            service.assign_agency(uow, case_id, "AG1")
        assert err.value.code == "outsourcing_notice_missing"
        notice = service.record_outsourcing_notice(uow, case_id, channel="sms")
        assert notice.sent_on == D1  # the business date
        with pytest.raises(RuleViolation) as err:
            service.assign_agency(uow, case_id, "AG-OLD")
        assert err.value.code == "agency_review_overdue"
        customer_id = queries.case_detail(uow.conn, case_id).case.customer_id
        consents.record(uow, customer_id, "collection_sharing", consents.CONSENT_VERSION, True,
                        "app", actor="test", at=datetime.fromisoformat("2026-03-01T09:00+08:00"))
        assert service.assign_agency(uow, case_id, "AG1").assigned_on == D1
        case = queries.case_detail(uow.conn, case_id).case
        assert (case.assignee_kind, case.agency_code) == ("agency", "AG1")
        assert case.next_action == "agency_collection"
        other = service.check_contact_for_case(
            uow.conn, case_id, _call("2026-03-02T10:00+08:00", agency_code="AG-OLD"))
        assert other.codes == ["agency_not_assigned"]
        open_day(uow.conn, date(2026, 3, 9))
        assert service.review_agency(uow, "AG-OLD").last_reviewed_on == date(2026, 3, 9)


def test_an_agencys_last_review_is_on_or_before_the_business_date(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        assert service.add_agency(uow, "AG-TODAY", "Today", D1).last_reviewed_on == D1
        with pytest.raises(InvalidInput) as err:
            service.add_agency(uow, "AG-TOMORROW", "Tomorrow", date(2026, 3, 2))
        assert err.value.field == "last_reviewed_on"


def restructure_for_test(uow: UnitOfWork, loan_id: int, offer: PlanOffer) -> None:
    """What servicing does, reduced: the loan is current on its new schedule."""
    uow.conn.execute(update(loans).where(loans.c.id == loan_id).values(
        dpd=0, bucket="M0", overdue_principal_fen=0, overdue_interest_fen=0,
        penalty_receivable_fen=0, installments_count=offer.installments_count,
        method=offer.method.value))


def test_a_signed_plan_freezes_collection_and_a_missed_installment_reopens_it(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        case_id, lid = _open_case(uow, dpd=45)
        offered = service.offer_plan(uow, case_id, lid, installments=60, proposed_by="C042")
        assert (offered.offer.installments_count, offered.offered_on) == (60, D1)
        open_day(uow.conn, date(2026, 3, 2))
        signed = service.sign_plan(uow, offered.plan_id, signed_by="borrower",
                                   apply_restructure=restructure_for_test)
        assert (signed.signed_on, signed.class_floor_until) == (date(2026, 3, 2),
                                                                date(2027, 3, 2))
        frozen = service.check_contact_for_case(uow.conn, case_id,
                                                _call("2026-03-03T10:00+08:00"))
        assert frozen.codes == ["plan_in_force"]
        sync(uow, date(2026, 3, 3))  # nothing overdue: the case closes
        set_loan(uow.conn, lid, dpd=4, overdue_principal_fen=10_000)  # missed installment
        report = sync(uow, date(2026, 4, 6))
        assert report.plans_broken == 1 and report.opened == [case_id]
        reopened = service.check_contact_for_case(uow.conn, case_id,
                                                  _call("2026-04-06T10:00+08:00"))
        assert reopened.allowed
        detail = queries.case_detail(uow.conn, case_id)
        assert detail.plans[0].status == "broken"
        assert detail.plans[0].offer.special_transaction == "negotiated_repayment"


def test_complaints_have_deadlines_and_the_overdue_ones_come_first(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        cid = add_customer(uow.conn)
        open_day(uow.conn, date(2026, 2, 20))
        extended = complaint_service.open_complaint(uow, cid, channel="call", summary="x")
        open_day(uow.conn, D1)
        late = complaint_service.open_complaint(uow, cid, channel="app", summary="催收电话太多")
        assert late.received_on == D1 and late.deadline == date(2026, 3, 16)
        open_day(uow.conn, date(2026, 3, 2))
        complex_ = complaint_service.open_complaint(uow, cid, channel="regulator",
                                                    summary="利息计算有误", complex_=True)
        with pytest.raises(RuleViolation):
            complaint_service.extend_complaint(uow, extended.complaint_id, days=61,
                                               approved_by="S1", reason="needs bank records")
        assert complaint_service.extend_complaint(
            uow, extended.complaint_id, days=60, approved_by="S1", reason="needs bank records",
        ).deadline == date(2026, 4, 21)
        open_day(uow.conn, date(2026, 3, 17))
        rows = complaint_service.list_complaints(uow.conn)
        assert [r.complaint_id for r in rows] == [late.complaint_id, complex_.complaint_id,
                                                  extended.complaint_id]
        assert [r.overdue for r in rows] == [True, False, False]
        assert rows[1].deadline == date(2026, 4, 1)
        resolved = complaint_service.resolve_complaint(uow, late.complaint_id,
                                                       resolution="calls reduced")
        assert (resolved.status, resolved.resolved_on) == ("resolved", date(2026, 3, 17))


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
