"""Property: any sequence of servicing commands keeps the book exact.

A Hypothesis state machine drives draws, checkout loans, same-day and back-dated repayments,
refunds of returned goods, payoffs and end-of-day days against a real SQLite database. After every
step: the ledger audit passes (trial balance zero, every entry balanced, sub-ledger equals
control accounts, principal per loan); every loan's stored state equals the replay of its events
(the reference model); no borrower has paid more than principal + interest + fees + penalty
charged (any excess is held as overpayment); every fen the borrower paid is accounted for.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from sqlalchemy import Engine, select

from lendcore.clock import business_date
from lendcore.customers.operations import OpenLine
from lendcore.servicing import repository as repo
from lendcore.servicing.operations import Checkout, Draw, RefundGoods, Repay
from lendcore.servicing.queries import payoff_quote
from lendcore.servicing.replay import replay
from lendcore.store.db import make_engine, upgrade
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import (
    MERCHANT,
    advance,
    audit_problems,
    goods,
    new_line,
    run,
    start_book,
)

COMPARED = ("principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
            "fee_receivable_fen", "overpayment_fen", "dpd", "status")


class LoanBook(RuleBasedStateMachine):
    """Each example runs on a fresh, migrated SQLite database of its own."""

    directory: Path
    examples = 0
    loans = Bundle("loans")

    def __init__(self) -> None:
        super().__init__()
        LoanBook.examples += 1
        self.engine: Engine = make_engine(f"sqlite:///{self.directory}/{self.examples}.db")
        upgrade(self.engine)
        start_book(self.engine, date(2025, 3, 1))
        self.paid: dict[int, int] = {}
        self.keys = 0

    def teardown(self) -> None:
        self.engine.dispose()

    def _key(self) -> str:
        self.keys += 1
        return f"{id(self)}-{self.keys}"

    def _bd(self) -> date:
        with UnitOfWork(self.engine, read_only=True) as uow:
            return business_date(uow.conn)

    @rule(target=loans, amount=st.integers(50_000, 3_000_000),
          n=st.sampled_from([3, 6, 12]),
          method=st.sampled_from(["equal-installment", "equal-principal", "interest-first",
                                  "bullet", "pay-any-time"]))
    def draw(self, amount: int, n: int, method: str) -> int:
        _, line_id = new_line(self.engine, 5_000_000)
        loan = run(self.engine, Draw(line_id, amount, n, "travel", MERCHANT, method),
                   self._key())
        self.paid[loan["loan_id"]] = 0
        return int(loan["loan_id"])

    @rule(target=loans, amount=st.integers(10_000, 2_000_000), n=st.sampled_from([3, 6, 12]),
          free=st.booleans())
    def checkout(self, amount: int, n: int, free: bool) -> int:
        cid, _ = new_line(self.engine)
        run(self.engine, OpenLine(cid, "checkout-installment", 5_000_000))
        loan = run(self.engine, Checkout(cid, f"O{self.keys}", MERCHANT, amount, n,
                                         goods(amount), "flat-fee", free), self._key())
        self.paid[loan["loan_id"]] = 0
        return int(loan["loan_id"])

    @rule(loan=loans, amount=st.integers(1, 600_000), back=st.integers(0, 45))
    def repay(self, loan: int, amount: int, back: int) -> None:
        bd = self._bd()
        with UnitOfWork(self.engine, read_only=True) as uow:
            start = repo.load_row(uow.conn, loan).start_date
        day = max(bd - timedelta(days=back), start)
        run(self.engine, Repay(loan, amount, None if day == bd else day), self._key())
        self.paid[loan] += amount

    @rule(loan=loans)
    def pay_off(self, loan: int) -> None:
        bd = self._bd()
        with UnitOfWork(self.engine, read_only=True) as uow:
            total = payoff_quote(uow.conn, loan, bd).total_fen
        if total > 0:
            run(self.engine, Repay(loan, total), self._key())
            self.paid[loan] += total

    @rule(loan=loans, share=st.integers(1, 100))
    def refund(self, loan: int, share: int) -> None:
        with UnitOfWork(self.engine, read_only=True) as uow:
            row = repo.load_row(uow.conn, loan)
            history = repo.events(uow.conn, loan)
        if row.kind != "checkout":
            return
        left = row.principal_fen - sum(e.amount_fen for e in history if e.kind == "refund")
        amount = left * share // 100
        if amount > 0:
            run(self.engine, RefundGoods(loan, amount), self._key())

    @rule(days=st.integers(1, 35))
    def end_of_day(self, days: int) -> None:
        advance(self.engine, days)

    @invariant()
    def the_ledger_audit_passes(self) -> None:
        assert audit_problems(self.engine) == []

    @invariant()
    def stored_state_equals_the_replay_and_nobody_overpays(self) -> None:
        with UnitOfWork(self.engine, read_only=True) as uow:
            bd = business_date(uow.conn)
            for loan_id in uow.conn.execute(select(loans.c.id)).scalars():
                stored, _ = repo.load(uow.conn, loan_id)
                ref = replay(stored.terms, repo.events(uow.conn, loan_id), bd)
                for name in COMPARED:
                    assert getattr(stored, name) == getattr(ref, name), (loan_id, name)
                t = ref.totals
                assert t.paid_principal <= t.disbursed - t.refunded_principal
                assert t.paid_interest <= t.interest_accrued
                assert t.paid_penalty <= t.penalty_accrued
                assert t.paid_fee <= t.fee_billed
                received = (t.paid_principal + t.paid_interest + t.paid_penalty + t.paid_fee
                            + t.overpaid + t.recovered)
                assert received == self.paid.get(loan_id, 0)


@pytest.mark.slow
def test_any_sequence_of_servicing_commands_keeps_the_book_exact(tmp_path: Path) -> None:
    LoanBook.directory = tmp_path
    examples = int(os.environ.get("LENDCORE_STATEFUL_EXAMPLES", "15"))
    machine_settings = settings(max_examples=examples,
                                stateful_step_count=10, deadline=None,
                                suppress_health_check=list(HealthCheck))
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(LoanBook, settings=machine_settings)
