"""The audit finds every kind of problem we plant, all at once, and passes a sound book."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection, Engine, text

from lendcore.ledger import posting, store
from lendcore.ledger.audit import LoanBalances, audit_book
from lendcore.store.uow import UnitOfWork

D = date(2026, 3, 1)
CASH_LOAN = 1_000_001
CHECKOUT_LOAN = 2_000_001
LoanMaker = Callable[..., int]


def post_sound_book(conn: Connection) -> None:
    """A cash loan part-repaid and a checkout loan charged off then partly recovered."""
    store.post_many(conn, [
        posting.disbursement(CASH_LOAN, D, 500000, to_merchant=False),
        posting.interest_accrual("cash", D, 1500),
        posting.fee_billing(D, 300, loan_id=CASH_LOAN),
        posting.repayment(CASH_LOAN, D, interest=1000, principal=10000, overpayment=200),
        posting.disbursement(CHECKOUT_LOAN, D, 120000, to_merchant=True),
        posting.merchant_settlement(D, 120000),
        posting.penalty_accrual("checkout", D, 800),
        posting.charge_off(CHECKOUT_LOAN, D, principal=120000, penalty=800),
        posting.recovery(CHECKOUT_LOAN, D, 5000),
        posting.provision(D, 1000),
    ])


def sound_loans(conn: Connection, make_loan: LoanMaker, *, cash_principal: int = 490000,
                cash_interest: int = 500) -> None:
    make_loan(conn, CASH_LOAN, principal_outstanding_fen=cash_principal,
              interest_receivable_fen=cash_interest, fee_receivable_fen=300, overpayment_fen=200)
    # The charged-off row keeps what the borrower still owes; the audit counts it as 0.
    make_loan(conn, CHECKOUT_LOAN, principal_outstanding_fen=120000, penalty_receivable_fen=800,
              status="charged_off", product_code="checkout")


def codes(conn: Connection) -> list[str]:
    return [p.code for p in store.audit(conn)]


def test_a_consistent_book_passes_the_audit(engine: Engine, make_loan: LoanMaker) -> None:
    with UnitOfWork(engine) as uow:
        post_sound_book(uow.conn)
        sound_loans(uow.conn, make_loan)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert store.audit(uow.conn) == []
        assert store.counts(uow.conn) == (10, 2)


def test_an_empty_book_passes_the_audit(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        assert store.audit(uow.conn) == []


def test_a_loan_row_that_disagrees_with_its_principal_is_found_in_total_and_per_loan(
    engine: Engine, make_loan: LoanMaker
) -> None:
    with UnitOfWork(engine) as uow:
        post_sound_book(uow.conn)
        sound_loans(uow.conn, make_loan, cash_principal=480000)
        problems = store.audit(uow.conn)
    assert [(p.code, p.account_code, p.loan_id) for p in problems] == [
        ("subledger_mismatch", "1100", None),
        ("loan_principal_mismatch", "1100", CASH_LOAN),
    ]
    assert "4900.00 != expected 4800.00" in problems[1].detail


def test_an_interest_difference_is_found_in_total_only(
    engine: Engine, make_loan: LoanMaker
) -> None:
    with UnitOfWork(engine) as uow:
        post_sound_book(uow.conn)
        sound_loans(uow.conn, make_loan, cash_interest=600)
        assert [(p.code, p.account_code) for p in store.audit(uow.conn)] == [
            ("subledger_mismatch", "1110")]


def test_a_posting_on_an_account_outside_the_chart_is_found(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.conn.execute(text("INSERT INTO journal_entries (id, reason, effective_date) "
                              "VALUES (9001, 'repayment', '2026-03-01')"))
        uow.conn.execute(text(
            "INSERT INTO postings (entry_id, line, account_code, debit_fen, credit_fen) VALUES "
            "(9001, 1, '9999', 700, 0), (9001, 2, '1001', 0, 700)"))
        uow.commit()
    with UnitOfWork(engine) as uow:
        problems = store.audit(uow.conn)
    assert [(p.code, p.account_code) for p in problems] == [("unknown_account", "9999")]


def test_every_problem_is_listed_not_just_the_first(engine: Engine, make_loan: LoanMaker) -> None:
    # Planted inside one uncommitted transaction: PostgreSQL would refuse it at commit.
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        post_sound_book(conn)
        sound_loans(conn, make_loan, cash_principal=480000)
        conn.execute(text("INSERT INTO journal_entries (id, reason, effective_date) VALUES "
                          "(9001, 'repayment', '2026-03-01'), (9002, 'waiver', '2026-03-01')"))
        conn.execute(text(
            "INSERT INTO postings (entry_id, line, account_code, debit_fen, credit_fen) VALUES "
            "(9001, 1, '1001', 100, 0), (9001, 2, '4100', 0, 99)"))
        store.post(conn, posting.fee_billing(D, 50, loan_id=77_000_001))
        problems = store.audit(conn)
    assert [p.code for p in problems] == [
        "trial_balance_nonzero",
        "entry_unbalanced",
        "entry_without_postings",
        "subledger_mismatch",  # principal 1100
        "subledger_mismatch",  # fee 1130: the unknown loan's fee has no row
        "loan_principal_mismatch",
        "unknown_loan",
    ]
    assert [p.entry_id for p in problems[1:3]] == [9001, 9002]
    assert problems[-1].loan_id == 77_000_001


def test_the_in_memory_audit_applies_the_same_rules() -> None:
    entries = [
        posting.disbursement(CASH_LOAN, D, 1000, to_merchant=False),
        posting.disbursement(CHECKOUT_LOAN, D, 500, to_merchant=True),
        posting.charge_off(CHECKOUT_LOAN, D, principal=500),
    ]
    sound = [LoanBalances(CASH_LOAN, "active", 1000),
             LoanBalances(CHECKOUT_LOAN, "charged_off", 500)]
    assert audit_book(entries, sound) == []
    wrong = [LoanBalances(CASH_LOAN, "active", 900), sound[1]]
    assert [p.code for p in audit_book(entries, wrong)] == [
        "subledger_mismatch", "loan_principal_mismatch"]
    assert [p.code for p in audit_book(entries, sound[:1])] == ["unknown_loan"]
