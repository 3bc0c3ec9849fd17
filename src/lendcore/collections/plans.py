"""Negotiated repayment (协商还款): re-amortise what the borrower owes over at most 60 installments.

``plan_terms`` is pure. The outstanding principal is re-amortised with ``build_schedule`` (equal
installment 等额本息 or equal principal 等额本金) at the loan's contract rate or lower. The
arrears (accrued interest, fees and penalty interest, less any approved waiver) are *not*
capitalised: they are spread evenly over the installments as a separate ``arrears_fen`` part that
bears no interest, because the rules forbid interest on interest by default and interest on fees
always (domain.md section 4). The split is by largest remainder and sums exactly.

Worked example: principal 6,000.00 at 18.25%, interest 150.00, penalty 90.00, fee 0; waiver of
the whole penalty and 50.00 interest (with a reason);
12 equal installments starting 2026-03-01: principal 6,000.00 amortised as 等额本息 (550.79 a
month principal+interest, rounded half-up; the last 550.85 absorbs rounding), and the arrears
left (150.00 - 50.00 interest + 0 penalty = 100.00) split 8.34 x 4 then 8.33 x 8.

Waivers: the penalty may be waived in full, interest only in part (at most
``plans.max_interest_waiver_ratio`` of it, floored to the fen), fees never. Any waiver needs a
reason; signing a plan with a waiver needs a second person (four eyes: ``operations.SignPlan``
is stored for a checker holding ``plan.sign:check``, who is neither the one who asked to sign
it nor the one who offered it). Once signed, the plan is reported to the credit
bureau with the special-transaction code ``negotiated_repayment`` on trigger event 42
(domain.md section 8) and the loan stays at least 关注 for 12 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lendcore.calendar import monthly_due_dates
from lendcore.collections.config import CollectionsConfig
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.money import Rounding, floor_fen, split_fen
from lendcore.schedules import Method, ScheduleTerms, build_schedule

SPECIAL_TRANSACTION = "negotiated_repayment"
BUREAU_TRIGGER_EVENT = 42  # domain.md section 8: extension/restructure trigger point
PLAN_METHODS = frozenset({Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL})


@dataclass(frozen=True, slots=True)
class LoanBalances:
    loan_id: int
    principal_outstanding_fen: int
    interest_receivable_fen: int
    fee_receivable_fen: int
    penalty_receivable_fen: int
    annual_rate: Decimal


@dataclass(frozen=True, slots=True)
class Waiver:
    penalty_fen: int = 0
    interest_fen: int = 0
    reason: str | None = None

    @property
    def any(self) -> bool:
        return bool(self.penalty_fen or self.interest_fen)


@dataclass(frozen=True, slots=True)
class PlanInstallment:
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int
    arrears_fen: int  # carried interest, fees and penalty: bears no interest

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.arrears_fen


@dataclass(frozen=True, slots=True)
class PlanOffer:
    loan_id: int
    installments_count: int
    method: Method
    annual_rate: Decimal
    start: date
    principal_fen: int
    arrears_fen: int
    waived_penalty_fen: int
    waived_interest_fen: int
    waiver_reason: str | None
    proposed_by: str
    approved_by: str | None  # the checker who let the waiver be signed (None until then)
    schedule: tuple[PlanInstallment, ...]
    special_transaction: str = SPECIAL_TRANSACTION
    bureau_trigger_event: int = BUREAU_TRIGGER_EVENT

    @property
    def total_fen(self) -> int:
        return sum(i.total_fen for i in self.schedule)


def _check_shape(installments: int, method: Method, cfg: CollectionsConfig) -> None:
    if installments < 1:
        raise InvalidInput("must be at least 1", field="installments")
    if installments > cfg.max_plan_installments:
        raise RuleViolation(
            f"a negotiated plan has at most {cfg.max_plan_installments} installments; "
            f"got {installments}", field="installments")
    if method not in PLAN_METHODS:
        raise InvalidInput("accepted: equal-installment, equal-principal", field="method")


def _check_waiver(balances: LoanBalances, waiver: Waiver, cfg: CollectionsConfig) -> None:
    if not 0 <= waiver.penalty_fen <= balances.penalty_receivable_fen:
        raise InvalidInput("must be from 0 to the penalty interest owed", field="waived_penalty")
    max_interest = floor_fen(balances.interest_receivable_fen * cfg.max_interest_waiver_ratio)
    if not 0 <= waiver.interest_fen <= max_interest:
        raise RuleViolation(
            f"at most {cfg.max_interest_waiver_ratio} of the interest owed may be waived "
            f"({max_interest} fen)", field="waived_interest")
    if waiver.any and not (waiver.reason or "").strip():
        raise RuleViolation("a waiver needs a reason", field="waiver_reason")


def plan_terms(
    balances: LoanBalances,
    *,
    installments: int,
    method: Method,
    start: date,
    proposed_by: str,
    config: CollectionsConfig,
    annual_rate: Decimal | None = None,
    waiver: Waiver | None = None,
    rounding: Rounding = Rounding.HALF_UP,
) -> PlanOffer:
    """The plan offered for one loan: schedule, arrears split, waivers (validated)."""
    _check_shape(installments, method, config)
    if not proposed_by.strip():
        raise InvalidInput("who proposes the plan", field="proposed_by")
    rate = balances.annual_rate if annual_rate is None else annual_rate
    if not Decimal(0) <= rate <= balances.annual_rate:
        raise RuleViolation("a plan may lower the contract rate, never raise it",
                            field="annual_rate")
    waiver = waiver or Waiver()
    _check_waiver(balances, waiver, config)
    arrears = (balances.interest_receivable_fen - waiver.interest_fen
               + balances.fee_receivable_fen
               + balances.penalty_receivable_fen - waiver.penalty_fen)
    if balances.principal_outstanding_fen + arrears <= 0:
        raise InvalidInput("the loan owes nothing to re-amortise", field="loan_id")
    schedule = _schedule(balances.principal_outstanding_fen, arrears, installments, method,
                         rate, start, rounding)
    return PlanOffer(
        loan_id=balances.loan_id, installments_count=installments, method=method,
        annual_rate=rate, start=start, principal_fen=balances.principal_outstanding_fen,
        arrears_fen=arrears, waived_penalty_fen=waiver.penalty_fen,
        waived_interest_fen=waiver.interest_fen,
        waiver_reason=waiver.reason if waiver.any else None,
        proposed_by=proposed_by, approved_by=None, schedule=schedule)


def _schedule(principal_fen: int, arrears_fen: int, count: int, method: Method, rate: Decimal,
              start: date, rounding: Rounding) -> tuple[PlanInstallment, ...]:
    arrears_parts = split_fen(arrears_fen, [1] * count) if arrears_fen else [0] * count
    if principal_fen > 0:
        terms = ScheduleTerms(principal_fen=principal_fen, installments=count, method=method,
                              annual_rate=rate, start=start, rounding=rounding)
        rows = [(i.due_date, i.principal_fen, i.interest_fen)
                for i in build_schedule(terms).installments]
    else:
        rows = [(due, 0, 0) for due in monthly_due_dates(start, count)]
    return tuple(
        PlanInstallment(n, due, principal, interest, arrears)
        for n, ((due, principal, interest), arrears)
        in enumerate(zip(rows, arrears_parts, strict=True), start=1))
