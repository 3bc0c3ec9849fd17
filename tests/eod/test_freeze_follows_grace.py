"""Freezes follow grace, through servicing's repayments and the real nightly run (the core, then
the wired night steps, whose "limit review" owns delinquency freezes), on SQLite and PostgreSQL.

Three borrowers of one book, each with a 10,000 CNY cash line (a 6,000 draw) and a 5,000 CNY
checkout line (a 3,000 order), both loans first due on the same day D, grace 3 days:

* A pays the cash installment on D+3 (DPD 3 = the last day of grace): nothing is ever frozen or
  cut;
* B leaves it unpaid: at DPD 3 nothing, at DPD 4 both lines frozen; B pays everything due on D+4:
  the lines stay frozen that day (no unfreeze in the repayment path) and the night unfreezes
  both, the cash line at half its limit with the reason ``delinquency_cut``, the checkout line at
  its limit; nothing more is cut afterwards;
* C pays cash on time but not the checkout installment: both lines frozen at DPD 4; C repays the
  whole checkout loan (closed): both lines unfrozen the next morning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine, select

from lendcore import wiring
from lendcore.customers.operations import OpenLine
from lendcore.eod.run import close_through
from lendcore.servicing import queries
from lendcore.servicing.operations import Checkout, Draw, Repay
from lendcore.store.core_tables import credit_lines
from lendcore.store.origination_tables import limit_changes
from lendcore.store.servicing_tables import installments, loans
from lendcore.store.uow import UnitOfWork
from tests.eod.conftest import url_of
from tests.servicing.helpers import MERCHANT, goods, new_line, run, start_book

DAY0 = date(2026, 1, 5)
CASH_LIMIT, CHECKOUT_LIMIT = 1_000_000, 500_000


@dataclass(frozen=True)
class Borrower:
    cash_line: int
    checkout_line: int
    cash_loan: int
    checkout_loan: int


def _borrower(engine: Engine, name: str) -> Borrower:
    cid, cash_line = new_line(engine, CASH_LIMIT)
    checkout_line = run(engine, OpenLine(cid, "checkout-installment", CHECKOUT_LIMIT))["line_id"]
    cash = run(engine, Draw(cash_line, 600_000, 6, "travel", MERCHANT), f"draw-{name}")
    order = run(engine, Checkout(cid, f"O-{name}", MERCHANT, 300_000, 6, goods(300_000)),
                f"order-{name}")
    return Borrower(cash_line, checkout_line, cash["loan_id"], order["loan_id"])


def _night(engine: Engine, through: date) -> None:
    """Close every day up to ``through`` as ``lendcore eod run`` does, with the wired steps."""
    close_through(engine, url_of(engine), through, steps=wiring.night_steps(), workers=1)


def _pay_due(engine: Engine, loan_id: int, key: str) -> None:
    with UnitOfWork(engine, read_only=True) as uow:
        due = queries.statement(uow.conn, loan_id).due_now_fen
    assert due > 0
    run(engine, Repay(loan_id, due), key)


def _pay_off(engine: Engine, loan_id: int, on: date, key: str) -> None:
    with UnitOfWork(engine, read_only=True) as uow:
        total = queries.payoff_quote(uow.conn, loan_id, on).total_fen
    run(engine, Repay(loan_id, total), key)


def _line(engine: Engine, line_id: int) -> tuple[int, bool]:
    with engine.connect() as conn:
        row = conn.execute(select(credit_lines).where(credit_lines.c.id == line_id)).one()
    return int(row.limit_fen), bool(row.frozen)


def _changes(engine: Engine, line_id: int) -> list[tuple[str, date, int, list[str]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(limit_changes).where(
            limit_changes.c.credit_line_id == line_id,
            limit_changes.c.action != "open").order_by(limit_changes.c.id)).all()
    return [(r.action, r.business_date, int(r.new_limit_fen),
             [x["code"] for x in json.loads(r.reasons_json)]) for r in rows]


def _dpd(engine: Engine, loan_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(loans.c.dpd).where(loans.c.id == loan_id)).scalar_one())


def test_freezes_follow_grace_and_a_cure_unfreezes_both_line_kinds(engine: Engine) -> None:
    start_book(engine, DAY0)
    a, b, c = (_borrower(engine, name) for name in "ABC")
    with engine.connect() as conn:
        due = conn.execute(select(installments.c.due_date).where(
            installments.c.loan_id == a.cash_loan, installments.c.number == 1)).scalar_one()
    with engine.connect() as conn:  # every loan falls due on D
        assert set(conn.execute(select(installments.c.due_date).where(
            installments.c.number == 1)).scalars()) == {due}
    _night(engine, due - timedelta(days=1))  # business date D
    for name, loan in (("A", a.checkout_loan), ("B", b.checkout_loan), ("C", c.cash_loan)):
        _pay_due(engine, loan, f"on-time-{name}")

    _night(engine, due + timedelta(days=2))  # business date D+3: DPD 3, the last day of grace
    assert (_dpd(engine, a.cash_loan), _dpd(engine, b.cash_loan)) == (3, 3)
    for x in (a, b, c):
        assert _line(engine, x.cash_line) == (CASH_LIMIT, False)
        assert _line(engine, x.checkout_line) == (CHECKOUT_LIMIT, False)
    _pay_due(engine, a.cash_loan, "grace-A")  # A pays on D+3: inside grace

    _night(engine, due + timedelta(days=3))  # business date D+4: B's cash and C's checkout DPD 4
    assert (_dpd(engine, b.cash_loan), _dpd(engine, c.checkout_loan)) == (4, 4)
    for x in (b, c):
        assert _line(engine, x.cash_line) == (CASH_LIMIT, True)
        assert _line(engine, x.checkout_line) == (CHECKOUT_LIMIT, True)
        for line in (x.cash_line, x.checkout_line):
            assert _changes(engine, line) == [
                ("freeze", due + timedelta(days=4), CASH_LIMIT if line == x.cash_line
                 else CHECKOUT_LIMIT, ["overdue_past_grace"])]

    _pay_due(engine, b.cash_loan, "cure-B")  # B pays all that is due, penalty included, on D+4
    _pay_off(engine, c.checkout_loan, due + timedelta(days=4), "payoff-C")  # C closes the order
    with engine.connect() as conn:
        assert conn.execute(select(loans.c.status).where(
            loans.c.id == c.checkout_loan)).scalar_one() == "closed"
    assert _dpd(engine, b.cash_loan) == 0
    assert _line(engine, b.cash_line) == (CASH_LIMIT, True)  # until the night

    _night(engine, due + timedelta(days=4))  # business date D+5: B and C current
    unfrozen = due + timedelta(days=5)
    for x in (b, c):
        assert _line(engine, x.cash_line) == (CASH_LIMIT // 2, False)
        assert _line(engine, x.checkout_line) == (CHECKOUT_LIMIT, False)
        assert _changes(engine, x.cash_line)[1:] == [
            ("unfreeze", unfrozen, CASH_LIMIT // 2, ["overdue_cleared", "delinquency_cut"])]
        assert _changes(engine, x.checkout_line)[1:] == [
            ("unfreeze", unfrozen, CHECKOUT_LIMIT, ["overdue_cleared"])]

    _night(engine, due + timedelta(days=20))  # nothing more: one cut per delinquency
    for x in (b, c):
        assert len(_changes(engine, x.cash_line)) == 2
        assert len(_changes(engine, x.checkout_line)) == 2
    assert _changes(engine, a.cash_line) == _changes(engine, a.checkout_line) == []
    assert _line(engine, a.cash_line) == (CASH_LIMIT, False)
    assert _line(engine, a.checkout_line) == (CHECKOUT_LIMIT, False)


def test_a_report_stored_when_the_core_still_froze_lines_loads_without_that_count() -> None:
    """A day closed before this change keeps ``frozen_lines`` in its stored report; a resumed
    run reads it back (``_finish`` of a closed day) and the count is simply gone."""
    from lendcore.eod.report import DayReport

    report = DayReport.from_dict({"business_date": "2026-03-01", "loans": 7, "frozen_lines": 2})
    assert (report.loans, "frozen_lines" in report.as_dict()) == (7, False)
