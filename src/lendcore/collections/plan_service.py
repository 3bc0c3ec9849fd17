"""Negotiated repayment plans in storage: offered from a case, signed through servicing.

Both happen on the server's business date. ``offer_plan`` prices the plan on the loan's balances
of today and stores the offer, ``proposed_by`` the operator who offered it. A plan with a waiver
is signed only with a second person's approval (four eyes, ``operations.SignPlan``): that
checker is recorded as the plan's ``approved_by``. ``sign_plan(uow, plan_id, signed_by=...)``
(``signed_by``: the borrower's side, how or by whom the plan was signed) records the signature
and hands the loan to servicing in the same transaction (``servicing.service.apply_plan``: it
replaces the installments exactly as offered, posts the ledger entries and floors the loan's
class at 关注 for 12 months; collections never writes ``loans``), then freezes collection on the
case (the guard refuses every contact while the plan is kept). If servicing refuses (the
balances moved since the offer), nothing is recorded: the unit of work rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from lendcore.calendar import add_months
from lendcore.clock import business_date
from lendcore.collections import store
from lendcore.collections.config import CollectionsConfig, default_config
from lendcore.collections.plans import LoanBalances, PlanInstallment, PlanOffer, Waiver, plan_terms
from lendcore.errors import Conflict, InvalidInput, NotFound
from lendcore.money import format_yuan
from lendcore.rates import ppb_to_rate, rate_to_ppb
from lendcore.schedules import Method
from lendcore.servicing.service import apply_plan
from lendcore.store.collections_tables import collection_plans
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

RestructureHook = Callable[[UnitOfWork, int, PlanOffer], None]
"""``apply_restructure(uow, loan_id, offer)``: servicing's side of a signed plan (by default
``servicing.service.apply_plan``; a test may pass a stand-in)."""


@dataclass(frozen=True, slots=True)
class OfferedPlan:
    plan_id: int
    case_id: int | None  # None: an early plan (``early_plans``), offered without a case
    offered_on: date
    offer: PlanOffer
    origin: str = "collections"


@dataclass(frozen=True, slots=True)
class SignedPlan:
    plan_id: int
    case_id: int | None
    signed_on: date
    signed_by: str
    class_floor_until: date
    offer: PlanOffer
    approved_by: str | None = None  # who let a waiver be signed (the checker)
    origin: str = "collections"


COLLECTIONS, EARLY = "collections", "early"  # a plan's origin: on a case, or before overdue


@dataclass(frozen=True, slots=True)
class PlanHead:
    """What four eyes and the scope need of a plan before it is signed."""

    plan_id: int
    case_id: int | None
    status: str
    proposed_by: str
    waived_penalty_fen: int
    waived_interest_fen: int
    loan_id: int = 0
    origin: str = COLLECTIONS

    @property
    def waives(self) -> bool:
        return bool(self.waived_penalty_fen or self.waived_interest_fen)

    def subject(self) -> tuple[str, int]:
        """The scope's subject: the plan's case, or the loan of an early plan (no case)."""
        return ("case", self.case_id) if self.case_id is not None else ("loan", self.loan_id)

    def refuse_other_origin(self, origin: str) -> None:
        """A negotiated plan is signed on its case, an early plan through customer service."""
        if self.origin != origin:
            how = "early-plan sign" if self.origin == EARLY else "plan-sign"
            raise Conflict(f"plan {self.plan_id} is a {self.origin} plan: sign it with {how}",
                           field="plan_id", code="wrong_plan_origin")

    def waiver_text(self) -> str:
        parts = [f"{format_yuan(fen)} yuan of {what}" for fen, what in (
            (self.waived_penalty_fen, "penalty"), (self.waived_interest_fen, "interest")) if fen]
        return f"a plan that waives {' and '.join(parts)}"


def plan_head(conn: Connection, plan_id: int) -> PlanHead | None:
    c = collection_plans.c
    row = conn.execute(select(c.id, c.case_id, c.status, c.proposed_by, c.waived_penalty_fen,
                              c.waived_interest_fen, c.loan_id, c.origin)
                       .where(c.id == plan_id)).first()
    if row is None:
        return None
    return PlanHead(int(row.id), None if row.case_id is None else int(row.case_id),
                    str(row.status), str(row.proposed_by), int(row.waived_penalty_fen),
                    int(row.waived_interest_fen), int(row.loan_id), str(row.origin))


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A stored plan as the case detail (or an early plan's page) shows it."""

    plan_id: int
    case_id: int | None
    loan_id: int
    status: str
    offered_on: date
    signed_on: date | None
    signed_by: str | None
    class_floor_until: date | None
    broken_on: date | None
    offer: PlanOffer
    origin: str = COLLECTIONS


def loan_balances(loan: RowMapping) -> LoanBalances:
    """What a plan re-amortises, from the loan's row (servicing's figures of today)."""
    return LoanBalances(
        loan_id=int(loan["id"]), principal_outstanding_fen=int(loan["principal_outstanding_fen"]),
        interest_receivable_fen=int(loan["interest_receivable_fen"]),
        fee_receivable_fen=int(loan["fee_receivable_fen"]),
        penalty_receivable_fen=int(loan["penalty_receivable_fen"]),
        annual_rate=ppb_to_rate(int(loan["annual_rate_ppb"])))


def offer_plan(
    uow: UnitOfWork,
    case_id: int,
    loan_id: int,
    *,
    installments: int,
    proposed_by: str,
    method: Method = Method.EQUAL_INSTALLMENT,
    annual_rate: Decimal | None = None,
    waiver: Waiver | None = None,
    config: CollectionsConfig | None = None,
) -> OfferedPlan:
    """Offer a plan for one of the case's loans today; the first installment is due a month
    later."""
    conn = uow.conn
    offered_on = business_date(conn)
    case = store.case_row(conn, case_id)
    loan = conn.execute(select(loans).where(loans.c.id == loan_id)).mappings().first()
    if loan is None or loan["customer_id"] != case["customer_id"]:
        raise NotFound(f"loan {loan_id} is not a loan of case {case_id}'s borrower",
                       field="loan_id")
    offer = plan_terms(loan_balances(loan), installments=installments, method=method,
                       start=offered_on,
                       proposed_by=proposed_by, config=config or default_config(),
                       annual_rate=annual_rate, waiver=waiver)
    plan_id = store.insert_id(conn, insert(collection_plans).values(
        case_id=case_id, loan_id=loan_id, status="offered", offered_on=offered_on,
        **offer_values(offer)))
    store.add_history(conn, case, offered_on, "plan_offered",
                      {"plan_id": plan_id, "loan_id": loan_id, "installments": installments})
    return OfferedPlan(plan_id, case_id, offered_on, offer)


def sign_plan(
    uow: UnitOfWork,
    plan_id: int,
    *,
    signed_by: str,
    approved_by: str | None = None,
    apply_restructure: RestructureHook = apply_plan,
    config: CollectionsConfig | None = None,
) -> SignedPlan:
    """The borrower signs an offered plan today: servicing restructures the loan as offered.

    ``approved_by``: for a plan with a waiver, the checker who let it be signed (recorded).
    An early plan (no case) is signed the same way; there is just no case to freeze."""
    cfg = config or default_config()
    conn = uow.conn
    signed_on = business_date(conn)
    plan = conn.execute(select(collection_plans).where(collection_plans.c.id == plan_id)
                        .with_for_update()).mappings().first()
    if plan is None:
        raise NotFound(f"no plan {plan_id}", field="plan_id")
    if plan["status"] != "offered":
        raise Conflict(f"plan {plan_id} is {plan['status']}, not offered", field="plan_id")
    if not signed_by.strip():
        raise InvalidInput("who signed", field="signed_by")
    if signed_on < plan["offered_on"]:  # the business date never moves back: a defect
        raise RuntimeError(f"plan {plan_id} was offered on {plan['offered_on']}, after today "
                           f"{signed_on}")
    floor_until = add_months(signed_on, cfg.class_floor_months)
    waives = bool(plan["waived_penalty_fen"] or plan["waived_interest_fen"])
    approver = approved_by if waives else None
    conn.execute(update(collection_plans).where(collection_plans.c.id == plan_id).values(
        status="signed", signed_on=signed_on, signed_by=signed_by, approved_by=approver,
        class_floor_until=floor_until))
    offer = replace(offer_from_row(plan), approved_by=approver)
    apply_restructure(uow, int(plan["loan_id"]), offer)
    case_id = None if plan["case_id"] is None else int(plan["case_id"])
    if case_id is not None:
        case = store.case_row(conn, case_id, lock=True)
        fresh = store.bump_case(conn, case, next_action="plan_in_force", updated_on=signed_on)
        store.add_history(conn, fresh, signed_on, "plan_signed", {
            "plan_id": plan_id, "special_transaction": offer.special_transaction,
            "bureau_trigger_event": offer.bureau_trigger_event,
            "class_floor_until": floor_until.isoformat(), "approved_by": approver})
    return SignedPlan(plan_id, case_id, signed_on, signed_by, floor_until, offer, approver,
                      str(plan["origin"]))


def offer_values(offer: PlanOffer) -> dict[str, Any]:
    return {
        "installments_count": offer.installments_count, "method": offer.method.value,
        "annual_rate_ppb": rate_to_ppb(offer.annual_rate), "start_date": offer.start,
        "principal_fen": offer.principal_fen, "arrears_fen": offer.arrears_fen,
        "waived_penalty_fen": offer.waived_penalty_fen,
        "waived_interest_fen": offer.waived_interest_fen, "waiver_reason": offer.waiver_reason,
        "proposed_by": offer.proposed_by, "approved_by": offer.approved_by,
        "special_transaction": offer.special_transaction,
        "bureau_trigger_event": offer.bureau_trigger_event,
        "schedule_json": json.dumps([
            {"number": i.number, "due_date": i.due_date.isoformat(),
             "principal_fen": i.principal_fen, "interest_fen": i.interest_fen,
             "arrears_fen": i.arrears_fen} for i in offer.schedule]),
    }


def offer_from_row(row: RowMapping) -> PlanOffer:
    schedule = tuple(
        PlanInstallment(int(i["number"]), date.fromisoformat(i["due_date"]),
                        int(i["principal_fen"]), int(i["interest_fen"]), int(i["arrears_fen"]))
        for i in json.loads(row["schedule_json"]))
    return PlanOffer(
        loan_id=int(row["loan_id"]), installments_count=int(row["installments_count"]),
        method=Method(row["method"]), annual_rate=ppb_to_rate(int(row["annual_rate_ppb"])),
        start=row["start_date"], principal_fen=int(row["principal_fen"]),
        arrears_fen=int(row["arrears_fen"]), waived_penalty_fen=int(row["waived_penalty_fen"]),
        waived_interest_fen=int(row["waived_interest_fen"]),
        waiver_reason=row["waiver_reason"], proposed_by=str(row["proposed_by"]),
        approved_by=row["approved_by"], schedule=schedule,
        special_transaction=str(row["special_transaction"]),
        bureau_trigger_event=int(row["bureau_trigger_event"]))


def plan_record(row: RowMapping) -> PlanRecord:
    return PlanRecord(
        plan_id=int(row["id"]),
        case_id=None if row["case_id"] is None else int(row["case_id"]),
        loan_id=int(row["loan_id"]),
        status=str(row["status"]), offered_on=row["offered_on"], signed_on=row["signed_on"],
        signed_by=row["signed_by"], class_floor_until=row["class_floor_until"],
        broken_on=row["broken_on"], offer=offer_from_row(row), origin=str(row["origin"]))
