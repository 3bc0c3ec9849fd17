"""Journal entries: the only way money moves in the ledger.

An entry says *why* money moved (its :class:`Reason`), on which business date, for which loan (or,
for the nightly run's aggregated accruals, which product), under which idempotency key, and how:
a tuple of :class:`Posting` lines, each naming one account and an amount on exactly one side.
Debits equal credits in every entry, so the ledger as a whole always nets to zero.

A 5,000.00 yuan cash draw::

    Entry(Reason.DISBURSEMENT, date(2026, 3, 1), loan_id=42000001, postings=(
        Posting(Account.PRINCIPAL_RECEIVABLE, debit_fen=500000, credit_fen=0),
        Posting(Account.CLEARING,             debit_fen=0,      credit_fen=500000),
    ))

Entries are checked when they are built (:func:`entry_problems` lists every fault: no postings, a
posting with both or neither side, an amount that is not a plain ``int`` — ``True``, ``1.0`` and
``Decimal(1)`` are refused —, a negative amount, an account outside the chart, debits different
from credits) and again by storage before any write. Stored entries are never changed: a mistake
is corrected by :func:`reverse`, which builds the mirror entry (debits and credits swapped)
pointing at the original.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from lendcore.errors import InvalidInput
from lendcore.ledger.accounts import Account

MAX_SOURCE_KEY_LENGTH = 128
MAX_PRODUCT_CODE_LENGTH = 64


class Reason(enum.Enum):
    """Why an entry was posted. Stored as the value; never renamed."""

    DISBURSEMENT = "disbursement"
    MERCHANT_SETTLEMENT = "merchant_settlement"
    REPAYMENT = "repayment"
    OVERPAYMENT_APPLICATION = "overpayment_application"
    INTEREST_ACCRUAL = "interest_accrual"
    PENALTY_ACCRUAL = "penalty_accrual"
    ACCRUAL_ADJUSTMENT = "accrual_adjustment"
    FEE_BILLING = "fee_billing"
    REFUND = "refund"
    OVERPAYMENT_REFUND = "overpayment_refund"
    CHARGE_OFF = "charge_off"
    RECOVERY = "recovery"
    PROVISION = "provision"
    WAIVER = "waiver"
    RESTRUCTURE = "restructure"
    REVERSAL = "reversal"
    MERCHANT_SUBSIDY = "merchant_subsidy"  # 贴息: the merchant pays the borrower's fee


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: an account and an amount in fen on exactly one side."""

    account: Account
    debit_fen: int = 0
    credit_fen: int = 0

    @property
    def net_fen(self) -> int:
        """Debit minus credit: positive for a debit line, negative for a credit line."""
        return self.debit_fen - self.credit_fen

    def mirrored(self) -> Posting:
        return Posting(self.account, debit_fen=self.credit_fen, credit_fen=self.debit_fen)


def debit(account: Account, amount_fen: int) -> Posting:
    return Posting(account, debit_fen=amount_fen, credit_fen=0)


def credit(account: Account, amount_fen: int) -> Posting:
    return Posting(account, debit_fen=0, credit_fen=amount_fen)


@dataclass(frozen=True, slots=True)
class Entry:
    """A balanced journal entry. ``entry_id`` is None until storage assigns it."""

    reason: Reason
    effective_date: date
    postings: tuple[Posting, ...]
    loan_id: int | None = None
    product_code: str | None = None
    source_key: str | None = None
    reversal_of: int | None = None
    entry_id: int | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.postings, tuple):
            object.__setattr__(self, "postings", tuple(self.postings))
        validate(self)

    @property
    def total_fen(self) -> int:
        """The entry's size: the sum of its debits (equal to the sum of its credits)."""
        return sum(p.debit_fen for p in self.postings)

    def with_id(self, entry_id: int) -> Entry:
        return Entry(
            self.reason, self.effective_date, self.postings, self.loan_id, self.product_code,
            self.source_key, self.reversal_of, entry_id,
        )


def _is_fen(value: object) -> bool:
    # bool is an int subclass; float and Decimal are not money in the ledger.
    return type(value) is int


def posting_problems(posting: object, line: int) -> list[str]:
    """Every fault of one posting line (``line`` counts from 1, for the message)."""
    if not isinstance(posting, Posting):
        return [f"line {line}: not a Posting"]
    problems: list[str] = []
    if not isinstance(posting.account, Account):
        problems.append(f"line {line}: account {posting.account!r} is not in the chart")
    amounts = {"debit_fen": posting.debit_fen, "credit_fen": posting.credit_fen}
    bad = [name for name, value in amounts.items() if not _is_fen(value)]
    for name in bad:
        problems.append(f"line {line}: {name} must be an int of fen, got {amounts[name]!r}")
    if bad:
        return problems
    if posting.debit_fen < 0 or posting.credit_fen < 0:
        problems.append(f"line {line}: amounts must not be negative")
    elif (posting.debit_fen > 0) == (posting.credit_fen > 0):
        problems.append(f"line {line}: exactly one of debit and credit must be positive")
    return problems


def entry_problems(entry: Entry) -> list[str]:
    """Every fault of an entry, in line order, then the balance; empty when the entry is valid."""
    if not isinstance(entry, Entry):
        return [f"{type(entry).__name__} is not a journal Entry"]
    problems: list[str] = []
    if not isinstance(entry.reason, Reason):
        problems.append(f"reason {entry.reason!r} is not a known reason")
    if not isinstance(entry.effective_date, date) or isinstance(entry.effective_date, datetime):
        problems.append("effective_date must be a date (a business date, not a timestamp)")
    if entry.loan_id is not None and (not _is_fen(entry.loan_id) or entry.loan_id <= 0):
        problems.append("loan_id must be a positive int or None")
    product_code = entry.product_code
    if product_code is not None and not 0 < len(product_code) <= MAX_PRODUCT_CODE_LENGTH:
        problems.append(f"product_code must be 1..{MAX_PRODUCT_CODE_LENGTH} characters")
    if entry.source_key is not None and not 0 < len(entry.source_key) <= MAX_SOURCE_KEY_LENGTH:
        problems.append(f"source_key must be 1..{MAX_SOURCE_KEY_LENGTH} characters")
    if (entry.reversal_of is not None) != (entry.reason is Reason.REVERSAL):
        problems.append("reversal_of is set exactly when the reason is reversal")
    if not entry.postings:
        problems.append("an entry needs at least one posting (nothing to post)")
    line_problems = [
        problem for i, p in enumerate(entry.postings, 1) for problem in posting_problems(p, i)
    ]
    problems.extend(line_problems)
    if entry.postings and not line_problems:
        debits = sum(p.debit_fen for p in entry.postings)
        credits = sum(p.credit_fen for p in entry.postings)
        if debits != credits:
            problems.append(f"unbalanced: debits {debits} fen != credits {credits} fen")
    return problems


def validate(entry: Entry) -> None:
    """Raise :class:`InvalidInput` (code ``invalid_entry``) listing every fault, or return."""
    problems = entry_problems(entry)
    if problems:
        raise InvalidInput("; ".join(problems), field="postings", code="invalid_entry")


def reverse(entry: Entry, business_date: date, source_key: str | None = None) -> Entry:
    """The mirror of a stored entry, dated ``business_date``, referencing the original.

    The default source key ``reversal:<id>`` makes reversing the same entry twice idempotent.
    """
    if entry.entry_id is None:
        raise InvalidInput("only a stored entry can be reversed", field="entry_id")
    return Entry(
        Reason.REVERSAL,
        business_date,
        tuple(p.mirrored() for p in entry.postings),
        loan_id=entry.loan_id,
        product_code=entry.product_code,
        source_key=source_key or f"reversal:{entry.entry_id}",
        reversal_of=entry.entry_id,
    )


def net_by_account(entries: Iterable[Entry]) -> dict[Account, int]:
    """Debit minus credit per account over the entries (accounts never touched are left out)."""
    totals: dict[Account, int] = {}
    for entry in entries:
        for p in entry.postings:
            totals[p.account] = totals.get(p.account, 0) + p.net_fen
    return totals
