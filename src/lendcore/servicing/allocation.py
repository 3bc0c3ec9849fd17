"""Applying a repayment to a loan: allocation order, prepayment, overpayment, recovery.

A payment on business date ``d`` (the loan is closed through d-1) is split by the product's
allocation order, a list over {past_due, due, not_due} x {penalty, fee, interest, principal}.
The default is 先罚息、后利息、后本金, oldest installment first::

    past_due.penalty, past_due.fee, past_due.interest, past_due.principal,
    due.fee, due.interest, due.principal, not_due.interest, not_due.principal

Installments are taken oldest first and each is settled in the rule order of its class
(horizontal); penalty accrues on the loan as a whole and is paid where ``past_due.penalty``
stands. ``not_due.interest`` is the current period's interest *to the payment date* and
``not_due.principal`` prepays: the remaining schedule is rebuilt (see ``reschedule.py``), so a
prepayment pays interest only up to its date and never a fee. What is left once nothing is owed is
an overpayment, a liability to the borrower. On a charged-off loan the same split reduces what the
borrower owes, and the money is a recovery.

Worked example: installment 1 (917.99 = 152.08 interest + 765.91 principal) is 10 days late with
7.50 penalty; a payment of 500.00 pays 7.50 penalty, 152.08 interest and 340.42 principal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.servicing.model import InstallmentState, LoanState, LoanStatus
from lendcore.servicing.reschedule import close_if_repaid, reschedule_after_prepayment


@dataclass(slots=True)
class Allocation:
    amount_fen: int
    penalty_fen: int = 0
    fee_fen: int = 0
    interest_fen: int = 0
    principal_fen: int = 0
    prepaid_principal_fen: int = 0
    overpayment_fen: int = 0
    recovery: bool = False
    lines: list[tuple[int, str, int]] = field(default_factory=list)  # (installment, comp, fen)

    def as_dict(self) -> dict[str, int | bool]:
        return {
            "amount": self.amount_fen,
            "penalty": self.penalty_fen,
            "fee": self.fee_fen,
            "interest": self.interest_fen,
            "principal": self.principal_fen,
            "prepaid_principal": self.prepaid_principal_fen,
            "overpayment": self.overpayment_fen,
            "recovery": self.recovery,
        }


def due_class(inst: InstallmentState, day: date) -> str:
    if inst.due_date < day:
        return "past_due"
    return "due" if inst.due_date == day else "not_due"


def accrued_unpaid_not_due(state: LoanState, day: date) -> int:
    """Interest recognised but not yet billed: the current period's interest to date."""
    billed_unpaid = sum(i.unpaid_interest for i in state.installments
                        if i.status == "open" and i.due_date <= day)
    return max(state.interest_receivable_fen - billed_unpaid, 0)


def apply_payment(state: LoanState, day: date, amount_fen: int) -> Allocation:
    """Split ``amount_fen`` over what the loan owes on ``day``; mutates ``state``."""
    if amount_fen <= 0:
        raise InvalidInput("must be greater than 0", field="amount")
    if state.accrued_through is None or state.accrued_through + _DAY != day:
        raise ValueError(f"payment on {day} needs the loan closed through the day before")
    alloc = Allocation(amount_fen, recovery=state.status is LoanStatus.CHARGED_OFF)
    remaining = amount_fen
    if state.status is not LoanStatus.CLOSED:
        remaining = _allocate(state, day, remaining, alloc)
    if remaining > 0:
        alloc.overpayment_fen = remaining
        state.overpayment_fen += remaining
        state.totals.overpaid += remaining
    _refresh_overdue(state, day)
    close_if_repaid(state, day)
    _count_totals(state, alloc)
    return alloc


_DAY = timedelta(days=1)


def _allocate(state: LoanState, day: date, remaining: int, alloc: Allocation) -> int:
    order = state.terms.allocation_order
    for cls in _classes_in_order(order):
        comps = [rule.split(".")[1] for rule in order if rule.startswith(cls + ".")]
        if cls == "not_due":
            remaining = _pay_not_due(state, day, remaining, comps, alloc)
            continue
        for inst in sorted(state.open_installments(), key=lambda i: i.due_date):
            if due_class(inst, day) != cls:
                continue
            for comp in comps:
                if remaining <= 0:
                    break
                remaining -= _pay_component(state, inst, cls, comp, remaining, alloc)
            _mark_paid(inst, day)
            if remaining <= 0:
                return 0
        if cls == "past_due" and "penalty" in comps and remaining > 0:
            remaining -= _pay_penalty(state, remaining, alloc)
    return remaining


def _classes_in_order(order: tuple[str, ...]) -> list[str]:
    seen: list[str] = []
    for rule in order:
        cls = rule.split(".")[0]
        if cls not in seen:
            seen.append(cls)
    return seen


def _pay_penalty(state: LoanState, remaining: int, alloc: Allocation) -> int:
    paid = min(remaining, state.penalty_receivable_fen)
    state.penalty_receivable_fen -= paid
    alloc.penalty_fen += paid
    if paid:
        alloc.lines.append((0, "penalty", paid))
    return paid


def _pay_component(state: LoanState, inst: InstallmentState, cls: str, comp: str,
                   remaining: int, alloc: Allocation) -> int:
    if comp == "penalty":
        return _pay_penalty(state, remaining, alloc) if cls == "past_due" else 0
    past = cls == "past_due"
    if comp == "fee":
        paid = min(remaining, inst.unpaid_fee)
        inst.paid_fee_fen += paid
        state.fee_receivable_fen -= paid
        state.overdue_fee_fen -= paid if past else 0
        alloc.fee_fen += paid
    elif comp == "interest":
        paid = min(remaining, inst.unpaid_interest)
        inst.paid_interest_fen += paid
        state.interest_receivable_fen -= paid
        state.overdue_interest_fen -= paid if past else 0
        alloc.interest_fen += paid
    else:
        paid = min(remaining, inst.unpaid_principal)
        inst.paid_principal_fen += paid
        state.principal_outstanding_fen -= paid
        state.overdue_principal_fen -= paid if past else 0
        alloc.principal_fen += paid
    if paid:
        alloc.lines.append((inst.number, comp, paid))
    return paid


def _pay_not_due(state: LoanState, day: date, remaining: int, comps: list[str],
                 alloc: Allocation) -> int:
    """Interest to date on the current period, then principal prepayment."""
    current = state.current_installment(day)
    for comp in comps:
        if remaining <= 0:
            break
        if comp == "interest" and current is not None:
            paid = min(remaining, accrued_unpaid_not_due(state, day))
            current.paid_interest_fen += paid
            state.interest_receivable_fen -= paid
            alloc.interest_fen += paid
            remaining -= paid
        elif comp == "principal":
            future = sum(i.unpaid_principal for i in state.open_installments()
                         if i.due_date > day)
            paid = min(remaining, future)
            if paid > 0:
                if accrued_unpaid_not_due(state, day) > 0:
                    raise RuleViolation("interest to date must be paid before a prepayment",
                                        field="amount", code="interest_before_prepayment")
                reschedule_after_prepayment(state, day, paid)
                state.principal_outstanding_fen -= paid
                alloc.principal_fen += paid
                alloc.prepaid_principal_fen += paid
                alloc.lines.append((0, "prepaid_principal", paid))
                remaining -= paid
    return remaining


def _mark_paid(inst: InstallmentState, day: date) -> None:
    if inst.unpaid_total == 0 and inst.due_date <= day:
        inst.status = "paid"
        inst.paid_on = day


def _refresh_overdue(state: LoanState, day: date) -> None:
    """Recompute the oldest unpaid due date and DPD; a cured loan drops pending penalty."""
    overdue = [i.due_date for i in state.installments
               if i.status == "open" and i.due_date < day and i.unpaid_total > 0]
    state.oldest_unpaid_due = min(overdue) if overdue else None
    state.dpd = (day - state.oldest_unpaid_due).days if state.oldest_unpaid_due else 0
    if state.overdue_principal_fen == 0 and state.overdue_interest_fen == 0:
        # Cured. Paid inside grace: the pending penalty is never charged (domain.md s4).
        state.penalty_grace_fen = 0
        state.penalty_carry = 0


def _count_totals(state: LoanState, alloc: Allocation) -> None:
    t = state.totals
    if alloc.recovery:
        t.recovered += alloc.amount_fen - alloc.overpayment_fen
        return
    t.paid_penalty += alloc.penalty_fen
    t.paid_fee += alloc.fee_fen
    t.paid_interest += alloc.interest_fen
    t.paid_principal += alloc.principal_fen
