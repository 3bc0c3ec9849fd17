"""Limit re-evaluation: freezes follow grace (cash and checkout lines), a cure unfreezes, a
delinquency past grace cuts a cash line once, an on-time record raises it.

The product's grace is 3 days: DPD 3 freezes nothing, DPD 4 freezes; a payment 3 days after its
due date is inside grace (never cut), 4 days after is past grace."""

from __future__ import annotations

import json
from datetime import date, timedelta

from origination_helpers import ON
from sqlalchemy import Engine, Table, select

from lendcore.customers import store as customers_store
from lendcore.ids import loan_id
from lendcore.origination import limits_job
from lendcore.origination.limits_job import Line, Record, reevaluate
from lendcore.store.core_tables import credit_lines
from lendcore.store.origination_tables import limit_changes
from lendcore.store.servicing_tables import installments, loans
from lendcore.store.uow import UnitOfWork

LINE = Line(1, 1, 3_000_00, False, None)
CHECKOUT = Line(2, 1, 2_000_00, False, None, "checkout-installment")
GRACE = 3
OURS = limits_job.FREEZE_REASON


def _frozen(line: Line, reason: str | None = OURS) -> Line:
    return Line(line.credit_line_id, line.customer_id, line.limit_fen, True, reason,
                line.product_code)


def test_six_on_time_installments_raise_the_limit_by_a_fifth() -> None:
    change = reevaluate(LINE, Record(paid_on_time=6), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("raise", 3_600_00)
    assert reevaluate(LINE, Record(paid_on_time=5), ON) is None
    assert reevaluate(CHECKOUT, Record(paid_on_time=12), ON) is None  # raises: cash lines only


def test_a_raise_waits_90_days_after_the_last_raise_or_cut_and_stops_at_50000() -> None:
    assert reevaluate(LINE, Record(paid_on_time=6, last_raise_on=ON - timedelta(days=89)),
                      ON) is None
    assert reevaluate(LINE, Record(paid_on_time=6, last_raise_on=ON - timedelta(days=90)),
                      ON) is not None
    assert reevaluate(LINE, Record(paid_on_time=6, last_cut_on=ON - timedelta(days=89)),
                      ON) is None  # nor within 90 days of a cut (a delinquency's unfreeze)
    assert reevaluate(LINE, Record(paid_on_time=6, last_cut_on=ON - timedelta(days=90)),
                      ON) is not None
    top = Line(1, 1, 45_000_00, False, None)
    change = reevaluate(top, Record(paid_on_time=12), ON)
    assert change is not None and change.new_limit_fen == 50_000_00


def test_past_grace_freezes_both_line_kinds_once_and_inside_grace_freezes_nothing() -> None:
    inside = Record(max_dpd=GRACE, paid_on_time=12)  # DPD 3 = grace: no loan past grace
    assert reevaluate(LINE, inside, ON) is None and reevaluate(CHECKOUT, inside, ON) is None
    past = Record(max_dpd=GRACE + 1, past_grace_dpd=GRACE + 1, paid_on_time=12)
    for line in (LINE, CHECKOUT):
        change = reevaluate(line, past, ON)
        assert change is not None and (change.action, change.frozen) == ("freeze", True)
        assert change.new_limit_fen == line.limit_fen  # a freeze keeps the limit
        assert [r.code for r in change.reasons] == ["overdue_past_grace"]
        assert reevaluate(_frozen(line), past, ON) is None  # already frozen: once
    assert reevaluate(_frozen(LINE, "fraud review"), past, ON) is None


def test_a_cure_unfreezes_the_cash_line_at_half_and_the_checkout_line_at_its_limit() -> None:
    change = reevaluate(_frozen(LINE), Record(), ON)
    assert change is not None and (change.action, change.new_limit_fen, change.frozen) == (
        "unfreeze", 1_500_00, False)
    assert [r.code for r in change.reasons] == ["overdue_cleared", "delinquency_cut"]
    change = reevaluate(_frozen(CHECKOUT), Record(), ON)
    assert change is not None and (change.action, change.new_limit_fen, change.frozen) == (
        "unfreeze", 2_000_00, False)
    assert [r.code for r in change.reasons] == ["overdue_cleared"]
    assert reevaluate(_frozen(LINE, "fraud review"), Record(), ON) is None  # not ours to lift
    # The former core's and the generator's freezes are this rule's too.
    for reason in ("overdue past grace: loan 1000001 at 4 DPD on closing 2025-06-01",
                   "overdue past grace (generated)"):
        change = reevaluate(_frozen(CHECKOUT, reason), Record(), ON)
        assert change is not None and change.action == "unfreeze"


def test_a_frozen_line_stays_frozen_until_the_borrower_is_current() -> None:
    """Cured down to another installment 1 or 3 days past due: not current yet."""
    for dpd in (1, GRACE):
        assert reevaluate(_frozen(LINE), Record(max_dpd=dpd), ON) is None
        assert reevaluate(_frozen(CHECKOUT), Record(max_dpd=dpd), ON) is None
    assert reevaluate(_frozen(LINE), Record(max_dpd=0), ON) is not None


def test_a_line_the_former_rule_froze_inside_grace_is_unfrozen_at_its_limit() -> None:
    legacy = _frozen(LINE, limits_job.LEGACY_FREEZE_REASON)
    change = reevaluate(legacy, Record(max_dpd=2), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("unfreeze", 3_000_00)
    assert [r.code for r in change.reasons] == ["frozen_inside_grace"]
    assert reevaluate(legacy, Record(max_dpd=4, past_grace_dpd=4), ON) is None


def test_a_payment_past_grace_cuts_once_and_one_inside_grace_never_cuts() -> None:
    paid = ON - timedelta(days=10)
    change = reevaluate(LINE, Record(paid_late=1, past_grace_paid_on=paid, paid_on_time=10), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("cut", 1_500_00)
    assert [r.code for r in change.reasons] == ["paid_past_grace"]
    # Late but inside grace: no cut, and no raise either (not a clean record).
    assert reevaluate(LINE, Record(paid_late=1, paid_on_time=10), ON) is None
    # Answered already: a cut (or the unfreeze that cut) on or after that payment.
    assert reevaluate(LINE, Record(paid_late=1, past_grace_paid_on=paid,
                                   last_cut_on=paid + timedelta(days=1)), ON) is None
    assert reevaluate(LINE, Record(paid_late=1, past_grace_paid_on=paid,
                                   last_cut_on=paid), ON) is not None
    # Older than 180 days: 180 days ago is out, 179 in.
    assert reevaluate(LINE, Record(past_grace_paid_on=ON - timedelta(days=180)), ON) is None
    assert reevaluate(LINE, Record(past_grace_paid_on=ON - timedelta(days=179)), ON) is not None
    # Never on a checkout line, never while something is past due.
    assert reevaluate(CHECKOUT, Record(past_grace_paid_on=paid), ON) is None
    assert reevaluate(LINE, Record(max_dpd=1, past_grace_paid_on=paid), ON) is None


def test_a_charge_off_cuts_once_and_a_cut_never_goes_below_500() -> None:
    off = ON - timedelta(days=30)
    change = reevaluate(LINE, Record(charged_off=True, charged_off_on=off), ON)
    assert change is not None and change.action == "cut"
    assert [r.code for r in change.reasons] == ["charged_off"]
    assert reevaluate(LINE, Record(charged_off=True, charged_off_on=off,
                                   last_cut_on=ON - timedelta(days=1)), ON) is None
    paid = ON - timedelta(days=1)
    small = Line(1, 1, 600_00, False, None)
    change = reevaluate(small, Record(past_grace_paid_on=paid), ON)
    assert change is not None and change.new_limit_fen == 500_00
    assert reevaluate(Line(1, 1, 500_00, False, None), Record(past_grace_paid_on=paid),
                      ON) is None
    change = reevaluate(_frozen(Line(1, 1, 500_00, False, None)), Record(), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("unfreeze", 500_00)


def _required_defaults(table: Table, given: dict[str, object]) -> dict[str, object]:
    """Placeholders for NOT NULL columns the servicing area may add that this test ignores."""
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name in given or col.nullable or col.server_default is not None:
            continue
        py = col.type.python_type
        out[col.name] = date(2024, 1, 1) if py is date else (0 if py is int else "x")
    return {**out, **given}


def _seed(engine: Engine, *, dpd: int, on_time: int, late: int = 0, days_late: int = GRACE + 1,
          checkout: bool = False) -> int:
    """A customer with a 3,000 CNY cash line (and a 2,000 CNY checkout line), one loan with
    the product's 3 days' grace at ``dpd``, ``on_time`` installments paid on their due dates
    and ``late`` more paid ``days_late`` after theirs; returns the customer id."""
    with UnitOfWork(engine) as uow:
        c = uow.conn
        cid = customers_store.insert_customer(c, created_on=date(2024, 1, 1))
        customers_store.insert_line(c, customer_id=cid, product_code="cash-line",
                                    limit_fen=3_000_00, daily_rate_ppb=None,
                                    opened_on=date(2024, 1, 1))
        if checkout:
            customers_store.insert_line(c, customer_id=cid, product_code="checkout-installment",
                                        limit_fen=2_000_00, daily_rate_ppb=None,
                                        opened_on=date(2024, 1, 1))
        lid = loan_id(cid, 1)
        c.execute(loans.insert().values(**_required_defaults(loans, {
            "id": lid, "customer_id": cid, "product_code": "cash-line", "kind": "draw",
            "status": "active", "principal_outstanding_fen": 0, "dpd": dpd,
            "grace_days": GRACE})))
        for n in range(1, on_time + late + 1):
            due = date(2024, 6 + n, 1) if n <= 6 else date(2025, n - 6, 1)
            paid = due if n <= on_time else due + timedelta(days=days_late)
            c.execute(installments.insert().values(
                loan_id=lid, number=n, due_date=due, period_start=due - timedelta(days=30),
                principal_fen=100_00, interest_fen=0, fee_fen=0, status="paid", paid_on=paid))
        uow.commit()
    return int(cid)


def _set_dpd(engine: Engine, cid: int, dpd: int) -> None:
    with engine.begin() as conn:  # the servicing area's write, as a repayment would
        conn.execute(loans.update().where(loans.c.customer_id == cid).values(dpd=dpd))


def _lines(engine: Engine) -> dict[str, tuple[int, bool, str | None]]:
    with engine.connect() as conn:
        return {r.product_code: (r.limit_fen, bool(r.frozen), r.frozen_reason)
                for r in conn.execute(select(credit_lines))}


def _review(engine: Engine, on: date) -> list[tuple[str, str, list[str]]]:
    with UnitOfWork(engine) as uow:
        changes = limits_job.run_book(uow, on)
        uow.commit()
    kinds = {}
    with engine.connect() as conn:
        kinds = {r.id: r.product_code for r in conn.execute(select(credit_lines))}
    return [(c["action"], kinds[c["credit_line_id"]],
             [r["code"] for r in json.loads(c["reasons_json"])]) for c in changes]


def test_the_job_raises_a_line_with_an_on_time_record_and_logs_why(engine: Engine) -> None:
    _seed(engine, dpd=0, on_time=6)
    with UnitOfWork(engine) as uow:
        changes = limits_job.run_book(uow, ON)
        again = limits_job.run_book(uow, ON)
        uow.commit()
    assert [c["action"] for c in changes] == ["raise"] and again == []
    with engine.connect() as conn:
        assert conn.execute(select(credit_lines.c.limit_fen)).scalar() == 3_600_00
        log = conn.execute(select(limit_changes)).one()
    assert (log.old_limit_fen, log.new_limit_fen) == (3_000_00, 3_600_00)
    assert "on_time_record" in log.reasons_json
    assert (log.actor, log.business_date, log.decision_id) == ("limit-job", ON, None)


def test_the_job_freezes_both_lines_at_dpd_4_not_at_dpd_3_and_unfreezes_them_on_a_cure(
        engine: Engine) -> None:
    cid = _seed(engine, dpd=GRACE, on_time=6, checkout=True)
    assert _review(engine, ON) == []  # DPD 3: inside grace, nothing (not even the raise)
    _set_dpd(engine, cid, GRACE + 1)
    assert _review(engine, ON) == [
        ("freeze", "cash-line", ["overdue_past_grace"]),
        ("freeze", "checkout-installment", ["overdue_past_grace"])]
    assert _lines(engine) == {"cash-line": (3_000_00, True, OURS),
                              "checkout-installment": (2_000_00, True, OURS)}
    _set_dpd(engine, cid, 1)  # cured down to an installment 1 day past due: not current
    assert _review(engine, ON + timedelta(days=1)) == []
    _set_dpd(engine, cid, 0)
    assert _review(engine, ON + timedelta(days=2)) == [
        ("unfreeze", "cash-line", ["overdue_cleared", "delinquency_cut"]),
        ("unfreeze", "checkout-installment", ["overdue_cleared"])]
    assert _lines(engine) == {"cash-line": (1_500_00, False, None),
                              "checkout-installment": (2_000_00, False, None)}
    assert _review(engine, ON + timedelta(days=3)) == []  # no raise within 90 days of a cut


def test_a_closed_loan_counts_as_current_for_the_unfreeze(engine: Engine) -> None:
    """A checkout line frozen past grace used to stay frozen after every loan was repaid."""
    cid = _seed(engine, dpd=GRACE + 2, on_time=0, checkout=True)
    _review(engine, ON)
    with engine.begin() as conn:
        conn.execute(loans.update().where(loans.c.customer_id == cid).values(status="closed"))
    assert [a[:2] for a in _review(engine, ON + timedelta(days=1))] == [
        ("unfreeze", "cash-line"), ("unfreeze", "checkout-installment")]


def test_the_job_cuts_once_after_a_payment_past_grace_and_never_inside_grace(
        engine: Engine) -> None:
    _seed(engine, dpd=0, on_time=6, late=1, days_late=GRACE)  # due 2025-01-01, paid the 4th
    assert _review(engine, ON) == []  # inside grace: no cut (and no raise)
    assert _lines(engine)["cash-line"][0] == 3_000_00


def test_the_job_cuts_a_line_after_a_payment_past_grace_once(engine: Engine) -> None:
    _seed(engine, dpd=0, on_time=6, late=1, days_late=GRACE + 1)  # paid 2025-01-05
    assert _review(engine, ON) == [("cut", "cash-line", ["paid_past_grace"])]
    with engine.connect() as conn:
        log = conn.execute(select(limit_changes)).one()
    assert (log.old_limit_fen, log.new_limit_fen) == (3_000_00, 1_500_00)
    assert "2025-01-05" in log.reasons_json
    assert _review(engine, ON + timedelta(days=100)) == []  # answered: not cut again


def test_the_nightly_step_reviews_only_the_customers_of_its_partition(engine: Engine) -> None:
    """A partition is a loan-id range; its customers are loan_id // 1,000,000. The step on
    [lo, hi] touches the lines of those customers only, on the day the night opened."""
    first = _seed(engine, dpd=0, on_time=6)
    second = _seed(engine, dpd=GRACE + 2, on_time=0)
    assert second == first + 1
    with UnitOfWork(engine) as uow:
        assert limits_job.run(uow, ON, loan_id(second, 1), loan_id(second + 1, 1) - 1) is None
        uow.commit()
    with engine.connect() as conn:
        lines = {r.customer_id: r for r in conn.execute(select(credit_lines))}
        log = conn.execute(select(limit_changes)).all()
    assert lines[second].frozen and not lines[first].frozen
    assert lines[first].limit_fen == 3_000_00
    assert [(r.action, r.business_date) for r in log] == [("freeze", ON)]
    with UnitOfWork(engine) as uow:  # the first customer's partition, from id 0
        limits_job.run(uow, ON + timedelta(days=1), 0, loan_id(second, 1) - 1)
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(select(credit_lines.c.limit_fen).where(
            credit_lines.c.customer_id == first)).scalar() == 3_600_00


def test_the_step_reads_a_fixed_number_of_grouped_queries_whatever_the_partition_holds(
        engine: Engine) -> None:
    from sqlalchemy import event

    def statements_for_review() -> int:
        seen: list[str] = []

        def count(*args: object) -> None:
            seen.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", count)
        try:
            with UnitOfWork(engine) as uow:
                limits_job.run(uow, ON, *limits_job.WHOLE_BOOK)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return sum(s.lstrip().upper().startswith("SELECT") for s in seen)

    _seed(engine, dpd=0, on_time=0)
    one = statements_for_review()
    for _ in range(4):
        _seed(engine, dpd=0, on_time=0)
    assert statements_for_review() == one == 4  # lines, loans, installments, limit changes
