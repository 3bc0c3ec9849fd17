"""The schedule's value types.

A schedule is a tuple of installments; each carries its due date and the principal, interest and
fee due on it in integer fen, and the principal balance left after it is paid. Principal always
sums exactly to the loan (the last installment absorbs rounding).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lendcore.errors import InvalidInput
from lendcore.money import Rounding
from lendcore.rates import DayCount

MAX_INSTALLMENTS = 360


class Method(enum.Enum):
    EQUAL_INSTALLMENT = "equal-installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal-principal"  # 等额本金
    INTEREST_FIRST = "interest-first"  # 先息后本
    BULLET = "bullet"  # 到期一次还本付息
    FLAT_FEE = "flat-fee"  # 分期手续费

    @classmethod
    def parse(cls, text: str, field: str = "method") -> Method:
        for method in cls:
            if method.value == text.strip().lower():
                return method
        accepted = ", ".join(m.value for m in cls)
        raise InvalidInput(f"unknown method {text!r}; accepted: {accepted}", field=field)


class InterestMode(enum.Enum):
    PER_PERIOD = "per-period"  # balance x annual / 12 each month
    DAILY = "daily"  # balance x annual / basis x days in the period

    @classmethod
    def parse(cls, text: str, field: str = "interest") -> InterestMode:
        for mode in cls:
            if mode.value == text.strip().lower():
                return mode
        raise InvalidInput(f"unknown interest mode {text!r}; accepted: per-period, daily",
                           field=field)


@dataclass(frozen=True, slots=True)
class ScheduleTerms:
    """Everything a schedule depends on. Validated on construction."""

    principal_fen: int
    installments: int
    method: Method
    annual_rate: Decimal
    start: date
    fee_rate_per_installment: Decimal = Decimal(0)
    interest_mode: InterestMode = InterestMode.PER_PERIOD
    day_count: DayCount = DayCount.ACT_365
    rounding: Rounding = Rounding.HALF_UP
    installment_multiple_fen: int = 1

    def __post_init__(self) -> None:
        if self.principal_fen <= 0:
            raise InvalidInput("must be greater than 0", field="principal")
        if not 1 <= self.installments <= MAX_INSTALLMENTS:
            raise InvalidInput(f"must be a whole number from 1 to {MAX_INSTALLMENTS}",
                               field="installments")
        if self.annual_rate < 0:
            raise InvalidInput("must not be negative", field="annual_rate")
        if self.fee_rate_per_installment < 0:
            raise InvalidInput("must not be negative", field="fee_rate_per_installment")
        if self.installment_multiple_fen < 1:
            raise InvalidInput("must be at least 0.01", field="installment_multiple")


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int
    fee_fen: int
    balance_after_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.fee_fen


@dataclass(frozen=True, slots=True)
class Schedule:
    terms: ScheduleTerms
    installments: tuple[Installment, ...]
    totals: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        rows = self.installments
        principal = sum(i.principal_fen for i in rows)
        if principal != self.terms.principal_fen:
            raise AssertionError("schedule principal must sum exactly to the loan")
        totals = {
            "principal": principal,
            "interest": sum(i.interest_fen for i in rows),
            "fee": sum(i.fee_fen for i in rows),
        }
        totals["total"] = totals["principal"] + totals["interest"] + totals["fee"]
        object.__setattr__(self, "totals", totals)

    def cash_flows_fen(self) -> list[int]:
        """Lender's view: -principal at start, then each installment's total."""
        return [-self.terms.principal_fen, *(i.total_fen for i in self.installments)]
