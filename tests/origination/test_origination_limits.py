"""Limit re-evaluation: raise on an on-time record, freeze on overdue, cut on deterioration."""

from __future__ import annotations

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


def test_six_on_time_installments_raise_the_limit_by_a_fifth() -> None:
    change = reevaluate(LINE, Record(paid_on_time=6), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("raise", 3_600_00)
    assert reevaluate(LINE, Record(paid_on_time=5), ON) is None


def test_a_raise_waits_90_days_after_the_last_one_and_stops_at_50000() -> None:
    assert reevaluate(LINE, Record(paid_on_time=6, last_raise_on=ON - timedelta(days=89)),
                      ON) is None
    assert reevaluate(LINE, Record(paid_on_time=6, last_raise_on=ON - timedelta(days=90)),
                      ON) is not None
    top = Line(1, 1, 45_000_00, False, None)
    change = reevaluate(top, Record(paid_on_time=12), ON)
    assert change is not None and change.new_limit_fen == 50_000_00


def test_any_overdue_freezes_the_line_once() -> None:
    change = reevaluate(LINE, Record(max_dpd=1, paid_on_time=12), ON)
    assert change is not None and change.action == "freeze" and change.frozen
    frozen = Line(1, 1, 3_000_00, True, "overdue")
    assert reevaluate(frozen, Record(max_dpd=5), ON) is None


def test_a_cleared_overdue_unfreezes_at_half_the_limit() -> None:
    change = reevaluate(Line(1, 1, 3_000_00, True, "overdue"), Record(), ON)
    assert change is not None and (change.action, change.new_limit_fen, change.frozen) == (
        "unfreeze", 1_500_00, False)
    assert reevaluate(Line(1, 1, 3_000_00, True, "fraud review"), Record(), ON) is None


def test_a_late_payment_cuts_the_limit_but_never_below_500() -> None:
    change = reevaluate(LINE, Record(paid_late=1, paid_on_time=10), ON)
    assert change is not None and (change.action, change.new_limit_fen) == ("cut", 1_500_00)
    small = Line(1, 1, 600_00, False, None)
    change = reevaluate(small, Record(paid_late=1), ON)
    assert change is not None and change.new_limit_fen == 500_00
    assert reevaluate(Line(1, 1, 500_00, False, None), Record(paid_late=1), ON) is None


def _required_defaults(table: Table, given: dict[str, object]) -> dict[str, object]:
    """Placeholders for NOT NULL columns the servicing area may add that this test ignores."""
    out: dict[str, object] = {}
    for col in table.columns:
        if col.name in given or col.nullable or col.server_default is not None:
            continue
        py = col.type.python_type
        out[col.name] = date(2024, 1, 1) if py is date else (0 if py is int else "x")
    return {**out, **given}


def _seed(engine: Engine, *, dpd: int, on_time: int, late: int = 0) -> int:
    """A customer with a 3,000 CNY line and one loan; returns the customer id."""
    with UnitOfWork(engine) as uow:
        c = uow.conn
        cid = customers_store.insert_customer(c, created_on=date(2024, 1, 1))
        customers_store.insert_line(c, customer_id=cid, product_code="cash-line",
                                    limit_fen=3_000_00, daily_rate_ppb=None,
                                    opened_on=date(2024, 1, 1))
        lid = loan_id(cid, 1)
        c.execute(loans.insert().values(**_required_defaults(loans, {
            "id": lid, "customer_id": cid, "product_code": "cash-line", "kind": "draw",
            "status": "active", "principal_outstanding_fen": 0, "dpd": dpd})))
        for n in range(1, on_time + late + 1):
            due = date(2024, 6 + n, 1) if n <= 6 else date(2025, n - 6, 1)
            paid = due if n <= on_time else due + timedelta(days=3)
            c.execute(installments.insert().values(
                loan_id=lid, number=n, due_date=due, period_start=due - timedelta(days=30),
                principal_fen=100_00, interest_fen=0, fee_fen=0, status="paid", paid_on=paid))
        uow.commit()
    return int(cid)


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


def test_the_job_freezes_a_line_whose_loan_is_past_due(engine: Engine) -> None:
    _seed(engine, dpd=3, on_time=6)
    with UnitOfWork(engine) as uow:
        changes = limits_job.run_book(uow, ON)
        uow.commit()
    assert [c["action"] for c in changes] == ["freeze"]
    with engine.connect() as conn:
        line = conn.execute(select(credit_lines)).one()
    assert line.frozen and line.frozen_reason == "overdue" and line.limit_fen == 3_000_00


def test_the_job_cuts_a_line_after_a_late_payment(engine: Engine) -> None:
    _seed(engine, dpd=0, on_time=6, late=1)  # the late one due 2025-01-01, in 180 days
    with UnitOfWork(engine) as uow:
        changes = limits_job.run_book(uow, ON)
        uow.commit()
    assert [(c["action"], c["new_limit_fen"]) for c in changes] == [("cut", 1_500_00)]


def test_the_nightly_step_reviews_only_the_customers_of_its_partition(engine: Engine) -> None:
    """A partition is a loan-id range; its customers are loan_id // 1,000,000. The step on
    [lo, hi] touches the lines of those customers only, on the day the night opened."""
    first = _seed(engine, dpd=0, on_time=6)
    second = _seed(engine, dpd=2, on_time=0)
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
