"""The loan aggregate: terms, installments and state, all in integer fen.

A loan is either *scheduled* (any amortisation method of ``lendcore.schedules``) or
*pay-any-time* (随借随还: one installment at maturity, interest = not-yet-due principal x daily
rate x actual days, any repayment any day). Its state is a pure function of its terms and its
events (see ``replay.py``); the nightly run keeps the same state in bulk (see ``docs/eod.md``).

Rates are integer parts per billion so that the per-loan reference here and the columnar kernel
compute the very same integers: 0.05%/day on ACT/365 is ``annual_rate_ppb = 182_500_000``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date

from lendcore.errors import InvalidInput
from lendcore.money import Rounding
from lendcore.rates import PPB, DayCount
from lendcore.schedules.model import InterestMode, Method

PAY_ANY_TIME = "pay-any-time"

# The allocation rules: {past_due, due, not_due} x {penalty, fee, interest, principal}.
DUE_CLASSES = ("past_due", "due", "not_due")
COMPONENTS = ("penalty", "fee", "interest", "principal")
DEFAULT_ALLOCATION = (
    "past_due.penalty",
    "past_due.fee",
    "past_due.interest",
    "past_due.principal",
    "due.fee",
    "due.interest",
    "due.principal",
    "not_due.interest",
    "not_due.principal",
)


class PrepaymentMode(enum.Enum):
    SHORTEN = "shorten"  # keep the installment, fewer installments (default)
    LOWER = "lower"  # keep the count, lower installment


class LoanStatus(enum.Enum):
    ACTIVE = "active"
    CLOSED = "closed"
    CHARGED_OFF = "charged_off"


def parse_allocation(order: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Validate an allocation order; every rule is ``<due class>.<component>``, no repeats."""
    seen: set[str] = set()
    for rule in order:
        cls, _, comp = rule.partition(".")
        if cls not in DUE_CLASSES or comp not in COMPONENTS or rule in seen:
            raise InvalidInput(
                f"bad allocation rule {rule!r}; rules are <{'|'.join(DUE_CLASSES)}>."
                f"<{'|'.join(COMPONENTS)}>, each once",
                field="allocation_order",
            )
        seen.add(rule)
    if "not_due.principal" in seen and "not_due.interest" in seen and (
        list(order).index("not_due.principal") < list(order).index("not_due.interest")
    ):
        raise InvalidInput("interest to date must be paid before principal is prepaid",
                           field="allocation_order")
    return tuple(order)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    loan_id: int
    principal_fen: int
    installments: int
    method: str  # a schedules.Method value or PAY_ANY_TIME
    start: date
    annual_rate_ppb: int
    penalty_rate_ppb: int  # already capped so the all-in rate stays within the cap
    fee_rate_ppb: int = 0  # per installment, on the original principal
    day_count: DayCount = DayCount.ACT_365
    interest_mode: InterestMode = InterestMode.PER_PERIOD
    rounding: Rounding = Rounding.HALF_UP
    installment_multiple_fen: int = 1
    grace_days: int = 3
    charge_off_dpd: int = 180
    ladder: str = "five-category-2023"
    prepayment_mode: PrepaymentMode = PrepaymentMode.SHORTEN
    allocation_order: tuple[str, ...] = DEFAULT_ALLOCATION
    penalty_on_interest: bool = False

    @property
    def pay_any_time(self) -> bool:
        return self.method == PAY_ANY_TIME

    @property
    def schedule_method(self) -> Method:
        return Method.BULLET if self.pay_any_time else Method(self.method)

    @property
    def accrual_divisor(self) -> int:
        """Units of the carry: 1 fen = PPB x basis days of (fen x ppb) products."""
        return PPB * self.day_count.basis_days


@dataclass(slots=True)
class InstallmentState:
    number: int
    period_start: date
    due_date: date
    principal_fen: int
    interest_fen: int
    fee_fen: int
    paid_principal_fen: int = 0
    paid_interest_fen: int = 0
    paid_fee_fen: int = 0
    status: str = "open"  # open | paid | superseded
    paid_on: date | None = None

    @property
    def unpaid_principal(self) -> int:
        return self.principal_fen - self.paid_principal_fen

    @property
    def unpaid_interest(self) -> int:
        return self.interest_fen - self.paid_interest_fen

    @property
    def unpaid_fee(self) -> int:
        return self.fee_fen - self.paid_fee_fen

    @property
    def unpaid_total(self) -> int:
        return self.unpaid_principal + self.unpaid_interest + self.unpaid_fee


@dataclass(slots=True)
class Totals:
    """Cumulative amounts since disbursement: what the ledger must have seen for this loan."""

    disbursed: int = 0
    interest_accrued: int = 0
    penalty_accrued: int = 0
    fee_billed: int = 0
    paid_principal: int = 0
    paid_interest: int = 0
    paid_penalty: int = 0
    paid_fee: int = 0
    overpaid: int = 0
    overpayment_refunded: int = 0
    refunded_principal: int = 0
    waived_interest: int = 0
    waived_penalty: int = 0
    waived_fee: int = 0
    capitalised_interest: int = 0
    capitalised_fee: int = 0
    capitalised_penalty: int = 0
    charged_off_principal: int = 0
    charged_off_interest: int = 0
    charged_off_penalty: int = 0
    charged_off_fee: int = 0
    recovered: int = 0


@dataclass(slots=True)
class LoanState:
    terms: LoanTerms
    installments: list[InstallmentState]
    principal_outstanding_fen: int
    interest_receivable_fen: int = 0
    penalty_receivable_fen: int = 0
    fee_receivable_fen: int = 0
    overpayment_fen: int = 0
    overdue_principal_fen: int = 0
    overdue_interest_fen: int = 0
    overdue_fee_fen: int = 0
    accrued_through: date | None = None
    # Linear accrual of the current period's scheduled interest: accr_total over accr_days
    # days from accr_start, accr_done of it recognised so far (scheduled loans only).
    accr_start: date | None = None
    accr_days: int = 0
    accr_total_fen: int = 0
    accr_done_fen: int = 0
    interest_carry: int = 0  # pay-any-time interest remainder, in 1/accrual_divisor fen
    penalty_carry: int = 0
    penalty_grace_fen: int = 0  # penalty computed during grace, charged only if grace passes
    dpd: int = 0
    oldest_unpaid_due: date | None = None
    status: LoanStatus = LoanStatus.ACTIVE
    charged_off_on: date | None = None
    closed_on: date | None = None
    class_floor_until: date | None = None
    restructured: bool = False
    totals: Totals = field(default_factory=Totals)

    # -- views -------------------------------------------------------------------------
    def open_installments(self) -> list[InstallmentState]:
        return [i for i in self.installments if i.status == "open"]

    def current_installment(self, day: date) -> InstallmentState | None:
        """The open installment whose period contains ``day`` (not yet due on ``day``)."""
        for inst in self.installments:
            if inst.status == "open" and inst.period_start <= day < inst.due_date:
                return inst
        return None

    def next_due_date(self) -> date | None:
        """The earliest open installment due after the last closed day (the row's
        next_due_date); past-due installments are followed by ``oldest_unpaid_due``."""
        after = self.accrued_through
        dues = [i.due_date for i in self.installments
                if i.status == "open" and (after is None or i.due_date > after)]
        return min(dues) if dues else None

    @property
    def maturity_date(self) -> date:
        live = [i.due_date for i in self.installments if i.status != "superseded"]
        return max(live)

    @property
    def total_owed_fen(self) -> int:
        return (
            self.principal_outstanding_fen
            + self.interest_receivable_fen
            + self.penalty_receivable_fen
            + self.fee_receivable_fen
        )
