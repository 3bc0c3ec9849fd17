"""Property: whatever the sequence of loan events, the ledger balances and matches the loans."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from lendcore.ledger import posting
from lendcore.ledger.audit import LoanBalances, audit_book, trial_balance_of
from lendcore.ledger.journal import Entry

D = date(2026, 3, 1)
KINDS = ["disburse", "settle", "interest", "penalty", "adjust", "fee", "repay", "refund",
         "waive", "restructure", "charge_off", "recover", "refund_overpayment", "provision"]


@dataclass
class Book:
    loans: dict[int, LoanBalances]
    entries: list[Entry]
    merchant_owed: int = 0

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)


def _apply(book: Book, kind: str, pick: int, amount: int) -> None:
    active = [x for x in book.loans.values() if x.status == "active"]
    if kind == "disburse" or (not active and kind != "provision"):
        loan_id, principal, to_merchant = len(book.loans) + 1, amount % 10**7 + 1, pick % 2 == 0
        book.add(posting.disbursement(loan_id, D, principal, to_merchant=to_merchant))
        book.merchant_owed += principal if to_merchant else 0
        book.loans[loan_id] = LoanBalances(loan_id, "active", principal)
        return
    if kind == "provision":
        book.add(posting.provision(D, amount % 20001 - 10000 or 1))
        return
    loan = active[pick % len(active)] if kind != "recover" else next(
        (x for x in book.loans.values() if x.status == "charged_off"), active[0])
    small = amount % 5000 + 1
    new = loan
    if kind == "settle" and book.merchant_owed > 0:
        paid = amount % book.merchant_owed + 1
        book.add(posting.merchant_settlement(D, paid))
        book.merchant_owed -= paid
    elif kind in ("interest", "penalty"):
        rule = posting.interest_accrual if kind == "interest" else posting.penalty_accrual
        book.add(rule("p", D, small))  # aggregated per product: no loan id
        field = f"{kind}_receivable_fen"
        new = replace(loan, **{field: getattr(loan, field) + small})
    elif kind == "adjust" and loan.interest_receivable_fen:
        cut = small % loan.interest_receivable_fen + 1
        book.add(posting.interest_accrual("p", D, -cut))
        new = replace(loan, interest_receivable_fen=loan.interest_receivable_fen - cut)
    elif kind == "fee":
        book.add(posting.fee_billing(D, small, loan_id=loan.loan_id))
        new = replace(loan, fee_receivable_fen=loan.fee_receivable_fen + small)
    elif kind == "repay":
        left = amount % (loan.principal_outstanding_fen + 20000) + 1
        parts = {}
        for name in ("penalty", "interest", "fee"):
            parts[name] = min(left, getattr(loan, f"{name}_receivable_fen"))
            left -= parts[name]
        parts["principal"] = min(left, loan.principal_outstanding_fen)
        parts["overpayment"] = left - parts["principal"]
        book.add(posting.repayment(loan.loan_id, D, **parts))
        new = replace(loan,
                      penalty_receivable_fen=loan.penalty_receivable_fen - parts["penalty"],
                      interest_receivable_fen=loan.interest_receivable_fen - parts["interest"],
                      fee_receivable_fen=loan.fee_receivable_fen - parts["fee"],
                      principal_outstanding_fen=loan.principal_outstanding_fen
                      - parts["principal"],
                      overpayment_fen=loan.overpayment_fen + parts["overpayment"])
    elif kind == "refund" and loan.principal_outstanding_fen:
        back = amount % loan.principal_outstanding_fen + 1
        book.add(posting.refund(loan.loan_id, D, principal_unpaid=back,
                                interest_unpaid=loan.interest_receivable_fen, fee_paid=small))
        book.merchant_owed -= back
        new = replace(loan, principal_outstanding_fen=loan.principal_outstanding_fen - back,
                      interest_receivable_fen=0, overpayment_fen=loan.overpayment_fen + small)
    elif kind == "waive" and loan.penalty_receivable_fen:
        book.add(posting.waiver(loan.loan_id, D, penalty=loan.penalty_receivable_fen))
        new = replace(loan, penalty_receivable_fen=0)
    elif kind == "restructure" and loan.interest_receivable_fen:
        book.add(posting.restructure(loan.loan_id, D, interest=loan.interest_receivable_fen))
        new = replace(loan, interest_receivable_fen=0, principal_outstanding_fen=(
            loan.principal_outstanding_fen + loan.interest_receivable_fen))
    elif kind == "charge_off" and loan.principal_outstanding_fen:
        book.add(posting.charge_off(
            loan.loan_id, D, principal=loan.principal_outstanding_fen,
            interest=loan.interest_receivable_fen, penalty=loan.penalty_receivable_fen,
            fee=loan.fee_receivable_fen))
        new = replace(loan, status="charged_off")  # the row keeps what is owed
    elif kind == "recover" and loan.status == "charged_off":
        book.add(posting.recovery(loan.loan_id, D, small))
    elif kind == "refund_overpayment" and loan.overpayment_fen:
        book.add(posting.overpayment_refund(loan.loan_id, D, loan.overpayment_fen))
        new = replace(loan, overpayment_fen=0)
    book.loans[new.loan_id] = new


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 50), st.integers(0, 10**9)),
                max_size=60))
def test_any_sequence_of_postings_keeps_the_trial_balance_at_zero_and_the_audit_clean(
    ops: list[tuple[str, int, int]],
) -> None:
    book = Book({}, [])
    for kind, pick, amount in ops:
        _apply(book, kind, pick, amount)
    lines = trial_balance_of(book.entries)
    assert sum(line.net_fen for line in lines) == 0
    assert sum(line.debit_fen for line in lines) == sum(line.credit_fen for line in lines)
    assert audit_book(book.entries, book.loans.values()) == []
