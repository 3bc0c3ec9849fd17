"""Audit checks: every way the book can be wrong, each reported, none stopping the others.

The store runs the queries (``lendcore.ledger.store.audit``) and hands plain numbers to the checks
here, which return :class:`Problem` values with a stable code. The codes, in the order the audit
reports them:

``trial_balance_nonzero``
    Σ of all debits differs from Σ of all credits.
``unknown_account``
    A posting names an account code that is not in the chart.
``entry_unbalanced`` / ``entry_without_postings``
    One entry's debits differ from its credits, or it has no postings at all.
``subledger_mismatch``
    A control account differs from the sum over loans of the matching sub-ledger column:
    principal receivable (1100) vs ``principal_outstanding_fen``, interest (1110), penalty (1120)
    and fee (1130) receivable vs their ``*_receivable_fen``, overpayment liability (2200) vs
    ``overpayment_fen``.
``loan_principal_mismatch``
    For one loan, principal receivable posted with its loan id differs from its
    ``principal_outstanding_fen``. Principal is always posted per loan; accruals are aggregated
    per product, so interest, penalty and fee are checked only in total.
``unknown_loan``
    An entry names a loan id the loans table does not have.

**The charged-off rule.** A charge-off entry moves a loan's whole receivables to charge-off
expense, while the loan row may keep what the borrower still owes (collections and recoveries
need it). So for a loan whose status is ``charged_off`` the sub-ledger counts 0 for principal,
interest, penalty and fee receivable, both in the totals and per loan. Its overpayment still
counts (money held for the borrower is a liability whatever the loan's state). The nightly run
must therefore stop accruing charged-off loans into the ledger.

Worked example: a book with one 1,000.00 disbursement for loan 7 whose row says 900.00 gives
``subledger_mismatch`` on 1100 (ledger 100000, loans 90000) *and* ``loan_principal_mismatch``
for loan 7: two problems, both listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry
from lendcore.money import format_yuan

CHARGED_OFF = "charged_off"

# Control account -> the loans column holding its sub-ledger.
CONTROL_COLUMNS: dict[Account, str] = {
    Account.PRINCIPAL_RECEIVABLE: "principal_outstanding_fen",
    Account.INTEREST_RECEIVABLE: "interest_receivable_fen",
    Account.PENALTY_RECEIVABLE: "penalty_receivable_fen",
    Account.FEE_RECEIVABLE: "fee_receivable_fen",
    Account.OVERPAYMENT_LIABILITY: "overpayment_fen",
}
# Columns written off by a charge-off: the charged-off rule counts them as 0.
WRITTEN_OFF_COLUMNS = frozenset(
    {"principal_outstanding_fen", "interest_receivable_fen", "penalty_receivable_fen",
     "fee_receivable_fen"}
)


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    detail: str
    account_code: str | None = None
    loan_id: int | None = None
    entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class BalanceLine:
    """One row of the trial balance: an account code's total debits and credits."""

    account_code: str
    debit_fen: int
    credit_fen: int

    @property
    def net_fen(self) -> int:
        """Debit minus credit (the trial balance's nets sum to zero)."""
        return self.debit_fen - self.credit_fen

    @property
    def account(self) -> Account | None:
        return Account.from_code(self.account_code)

    @property
    def normal_balance_fen(self) -> int:
        """The balance in the account's normal sense; debit minus credit if not in the chart."""
        account = self.account
        if account is None:
            return self.net_fen
        return account.normal_balance(debit_fen=self.debit_fen, credit_fen=self.credit_fen)


@dataclass(frozen=True, slots=True)
class LoanBalances:
    """A loan's sub-ledger, as the loans table holds it."""

    loan_id: int
    status: str
    principal_outstanding_fen: int
    interest_receivable_fen: int = 0
    penalty_receivable_fen: int = 0
    fee_receivable_fen: int = 0
    overpayment_fen: int = 0

    def counted(self, column: str) -> int:
        """The column's value under the charged-off rule."""
        if self.status == CHARGED_OFF and column in WRITTEN_OFF_COLUMNS:
            return 0
        value: int = getattr(self, column)
        return value


def trial_balance_of(entries: Iterable[Entry]) -> list[BalanceLine]:
    """The trial balance of in-memory entries, by account code."""
    sums: dict[str, tuple[int, int]] = {}
    for entry in entries:
        for p in entry.postings:
            d, c = sums.get(p.account.code, (0, 0))
            sums[p.account.code] = (d + p.debit_fen, c + p.credit_fen)
    return [BalanceLine(code, d, c) for code, (d, c) in sorted(sums.items())]


def trial_balance_problems(lines: Iterable[BalanceLine]) -> list[Problem]:
    """(a) Σ debits = Σ credits; (e) every account code is in the chart."""
    lines = list(lines)
    problems: list[Problem] = []
    debits = sum(line.debit_fen for line in lines)
    credits = sum(line.credit_fen for line in lines)
    if debits != credits:
        problems.append(Problem(
            "trial_balance_nonzero",
            f"total debits {format_yuan(debits)} != total credits {format_yuan(credits)} "
            f"(difference {format_yuan(debits - credits)})",
        ))
    for line in lines:
        if line.account is None:
            problems.append(Problem(
                "unknown_account",
                f"postings on account code {line.account_code!r}, which is not in the chart "
                f"(debits {format_yuan(line.debit_fen)}, credits {format_yuan(line.credit_fen)})",
                account_code=line.account_code,
            ))
    return problems


def entry_problems(
    unbalanced: Iterable[tuple[int, int, int]], without_postings: Iterable[int]
) -> list[Problem]:
    """(b) ``unbalanced`` rows are (entry id, debits, credits) with debits != credits."""
    problems = [
        Problem("entry_unbalanced",
                f"entry {entry_id}: debits {format_yuan(d)} != credits {format_yuan(c)}",
                entry_id=entry_id)
        for entry_id, d, c in unbalanced if d != c
    ]
    problems += [
        Problem("entry_without_postings", f"entry {entry_id} has no postings", entry_id=entry_id)
        for entry_id in without_postings
    ]
    return problems


def subledger_totals(loans: Iterable[LoanBalances]) -> dict[Account, int]:
    """Σ over loans of each control account's column, under the charged-off rule."""
    loans = list(loans)
    return {
        account: sum(loan.counted(column) for loan in loans)
        for account, column in CONTROL_COLUMNS.items()
    }


def control_problems(
    lines: Iterable[BalanceLine], subledger: Mapping[Account, int]
) -> list[Problem]:
    """(c) Each control account's ledger balance equals its sub-ledger total."""
    ledger = {line.account_code: line.normal_balance_fen for line in lines}
    problems: list[Problem] = []
    for account, column in CONTROL_COLUMNS.items():
        gl = ledger.get(account.code, 0)
        sub = subledger.get(account, 0)
        if gl != sub:
            problems.append(Problem(
                "subledger_mismatch",
                f"{account.code} {account.label}: ledger {format_yuan(gl)} != "
                f"Σ loans.{column} {format_yuan(sub)} (difference {format_yuan(gl - sub)})",
                account_code=account.code,
            ))
    return problems


def expected_loan_principal(status: str, principal_outstanding_fen: int) -> int:
    """What principal receivable posted for a loan should hold (the charged-off rule)."""
    return 0 if status == CHARGED_OFF else principal_outstanding_fen


def loan_problems(rows: Iterable[tuple[int, str, int, int]]) -> list[Problem]:
    """(d) rows are (loan id, status, principal_outstanding_fen, ledger principal fen)."""
    problems: list[Problem] = []
    for loan_id, status, outstanding, ledger in rows:
        expected = expected_loan_principal(status, outstanding)
        if ledger != expected:
            problems.append(Problem(
                "loan_principal_mismatch",
                f"loan {loan_id} ({status}): principal receivable in the ledger "
                f"{format_yuan(ledger)} != expected {format_yuan(expected)}",
                account_code=Account.PRINCIPAL_RECEIVABLE.code,
                loan_id=loan_id,
            ))
    return problems


def unknown_loan_problems(loan_ids: Iterable[int]) -> list[Problem]:
    return [
        Problem("unknown_loan", f"entries name loan {loan_id}, which the loans table lacks",
                loan_id=loan_id)
        for loan_id in loan_ids
    ]


def audit_book(entries: Iterable[Entry], loans: Iterable[LoanBalances]) -> list[Problem]:
    """The whole audit over in-memory entries and loan rows (what the store does in SQL)."""
    entries, loans = list(entries), list(loans)
    lines = trial_balance_of(entries)
    unbalanced = []
    for i, entry in enumerate(entries):
        d = sum(p.debit_fen for p in entry.postings)
        c = sum(p.credit_fen for p in entry.postings)
        unbalanced.append((entry.entry_id or i + 1, d, c))
    principal_by_loan: dict[int, int] = {}
    for entry in entries:
        if entry.loan_id is None:
            continue
        net = sum(p.net_fen for p in entry.postings if p.account is Account.PRINCIPAL_RECEIVABLE)
        principal_by_loan[entry.loan_id] = principal_by_loan.get(entry.loan_id, 0) + net
    known = {loan.loan_id for loan in loans}
    return [
        *trial_balance_problems(lines),
        *entry_problems(unbalanced, []),
        *control_problems(lines, subledger_totals(loans)),
        *loan_problems(
            (loan.loan_id, loan.status, loan.principal_outstanding_fen,
             principal_by_loan.get(loan.loan_id, 0))
            for loan in loans
        ),
        *unknown_loan_problems(sorted(set(principal_by_loan) - known)),
    ]
