"""Limit re-evaluation: raise on an on-time record, freeze on overdue, cut on deterioration."""

from __future__ import annotations

from datetime import date, timedelta

from origination_helpers import ON
from sqlalchemy import Engine, Table, select

from lendcore.ids import loan_id
from lendcore.origination import limits_job
from lendcore.origination.limits_job import Line, Record, reevaluate
from lendcore.store.core_tables import credit_lines, customers
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


def _seed(engine: Engine, *, dpd: int, on_time: int) -> None:
    with UnitOfWork(engine) as uow:
        c = uow.conn
        cid = c.execute(customers.insert().values(created_on=date(2024, 1, 1))
                        ).inserted_primary_key[0]  # type: ignore[index]
        c.execute(credit_lines.insert().values(customer_id=cid, product_code="cash-line",
                                               limit_fen=3_000_00, opened_on=date(2024, 1, 1)))
        lid = loan_id(cid, 1)
        c.execute(loans.insert().values(**_required_defaults(loans, {
            "id": lid, "customer_id": cid, "product_code": "cash-line", "kind": "draw",
            "status": "active", "principal_outstanding_fen": 0, "dpd": dpd})))
        for n in range(1, on_time + 1):
            due = date(2024, 6 + n, 1) if n <= 6 else date(2025, n - 6, 1)
            c.execute(installments.insert().values(
                loan_id=lid, number=n, due_date=due, period_start=due - timedelta(days=30),
                principal_fen=100_00, interest_fen=0, fee_fen=0, status="paid", paid_on=due))
        uow.commit()


def test_the_job_raises_a_line_with_an_on_time_record_and_logs_why(engine: Engine) -> None:
    _seed(engine, dpd=0, on_time=6)
    with UnitOfWork(engine) as uow:
        changes = limits_job.run(uow, ON)
        again = limits_job.run(uow, ON)
        uow.commit()
    assert [c["action"] for c in changes] == ["raise"] and again == []
    with engine.connect() as conn:
        assert conn.execute(select(credit_lines.c.limit_fen)).scalar() == 3_600_00
        log = conn.execute(select(limit_changes)).one()
    assert (log.old_limit_fen, log.new_limit_fen) == (3_000_00, 3_600_00)
    assert "on_time_record" in log.reasons_json


def test_the_job_freezes_a_line_whose_loan_is_past_due(engine: Engine) -> None:
    _seed(engine, dpd=3, on_time=6)
    with UnitOfWork(engine) as uow:
        changes = limits_job.run(uow, ON)
        uow.commit()
    assert [c["action"] for c in changes] == ["freeze"]
    with engine.connect() as conn:
        line = conn.execute(select(credit_lines)).one()
    assert line.frozen and line.frozen_reason == "overdue" and line.limit_fen == 3_000_00
