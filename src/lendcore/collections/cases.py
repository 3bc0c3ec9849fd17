"""Collection cases: one per borrower, across all of the borrower's loans.

A case *opens* when any of the borrower's loans is past its grace period (``dpd > grace_days``,
so a loan 3 days late with 3 days' grace is not yet in collection; 4 days late is) and *closes*
when nothing is overdue on any loan (every loan's dpd is 0 and its overdue amounts are 0). In
between (e.g. the old arrears were paid and a new installment is 2 days late) the case stays as
it is. Closed and active loans count; a charged-off loan stays in collection (recoveries).

The case's bucket is the worst bucket of the borrower's loans and its amounts overdue are the
sums over them::

    loan 1: dpd 45, M2, overdue principal 800.00, interest 40.00, penalty 6.00
    loan 2: dpd 10, M1, overdue principal 300.00
    case:   M2, max dpd 45, overdue principal 1,100.00, interest 40.00, penalty 6.00

Amounts are shown by role (least privilege, domain.md section 10): a ``collector`` or an
``agency`` sees a band ("1000-5000"), a ``supervisor`` sees the exact figure.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from lendcore.collections.config import BUCKETS
from lendcore.errors import InvalidInput
from lendcore.money import format_yuan

COLLECTIBLE_STATUSES = frozenset({"active", "charged_off"})


@dataclass(frozen=True, slots=True)
class LoanSnapshot:
    loan_id: int
    status: str
    dpd: int
    grace_days: int
    bucket: str
    overdue_principal_fen: int = 0
    overdue_interest_fen: int = 0
    overdue_fee_fen: int = 0
    penalty_fen: int = 0

    @property
    def overdue_total_fen(self) -> int:
        return (self.overdue_principal_fen + self.overdue_interest_fen + self.overdue_fee_fen
                + self.penalty_fen)

    @property
    def past_grace(self) -> bool:
        return self.status in COLLECTIBLE_STATUSES and self.dpd > self.grace_days

    @property
    def anything_overdue(self) -> bool:
        return self.status in COLLECTIBLE_STATUSES and (self.dpd > 0 or self.overdue_total_fen > 0)


@dataclass(frozen=True, slots=True)
class CaseFigures:
    bucket: str
    max_dpd: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    overdue_fee_fen: int
    penalty_fen: int

    @property
    def overdue_total_fen(self) -> int:
        return (self.overdue_principal_fen + self.overdue_interest_fen + self.overdue_fee_fen
                + self.penalty_fen)


class CaseDecision(enum.Enum):
    NONE = "none"  # no case and none needed
    OPEN = "open"  # open (or reopen) the borrower's case
    KEEP = "keep"  # the case stays open; refresh its figures
    CLOSE = "close"  # nothing is overdue any more


def worst_bucket(buckets: Sequence[str]) -> str:
    for bucket in buckets:
        if bucket not in BUCKETS:
            raise InvalidInput(f"unknown bucket {bucket!r}; accepted M0..M7", field="bucket")
    return max(buckets, key=BUCKETS.index, default="M0")


def case_figures(loans: Sequence[LoanSnapshot]) -> CaseFigures:
    counted = [loan for loan in loans if loan.status in COLLECTIBLE_STATUSES]
    return CaseFigures(
        bucket=worst_bucket([loan.bucket for loan in counted]),
        max_dpd=max((loan.dpd for loan in counted), default=0),
        overdue_principal_fen=sum(loan.overdue_principal_fen for loan in counted),
        overdue_interest_fen=sum(loan.overdue_interest_fen for loan in counted),
        overdue_fee_fen=sum(loan.overdue_fee_fen for loan in counted),
        penalty_fen=sum(loan.penalty_fen for loan in counted),
    )


def decide_case(case_open: bool, loans: Sequence[LoanSnapshot]) -> CaseDecision:
    """Open past grace, close when nothing is overdue, otherwise keep what is."""
    if case_open:
        if any(loan.anything_overdue for loan in loans):
            return CaseDecision.KEEP
        return CaseDecision.CLOSE
    if any(loan.past_grace for loan in loans):
        return CaseDecision.OPEN
    return CaseDecision.NONE


class Role(enum.Enum):
    COLLECTOR = "collector"  # in-house collector: bands
    AGENCY = "agency"  # outsourced agency staff: bands
    SUPERVISOR = "supervisor"  # exact amounts

    @classmethod
    def parse(cls, text: str, field: str = "role") -> Role:
        for role in cls:
            if role.value == text.strip().lower():
                return role
        accepted = ", ".join(r.value for r in cls)
        raise InvalidInput(f"unknown role {text!r}; accepted: {accepted}", field=field)


# Upper bounds of the bands in fen (exclusive); the last band is open-ended.
BAND_EDGES_FEN: tuple[int, ...] = (50_000, 100_000, 500_000, 1_000_000, 5_000_000)


def band(amount_fen: int) -> str:
    """The band a collector sees: 0, "0-500", "500-1000", ..., "50000+" (yuan)."""
    if amount_fen == 0:
        return "0"
    lower = 0
    for edge in BAND_EDGES_FEN:
        if amount_fen < edge:
            return f"{lower // 100}-{edge // 100}"
        lower = edge
    return f"{lower // 100}+"


def show_amount(amount_fen: int, role: Role) -> str:
    return format_yuan(amount_fen) if role is Role.SUPERVISOR else band(amount_fen)
