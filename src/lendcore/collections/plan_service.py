"""Negotiated repayment plans in storage: offer from a case, sign with the servicing hook.

``sign_plan(uow, plan_id, signed_on=..., signed_by=..., apply_restructure=hook)`` records the
signature, floors the loan's class at 关注 (``special_mention``) for 12 months
(``loans.class_floor_until``, ``loans.restructured``), calls ``hook(uow, loan_id, offer)`` in the
same transaction (servicing replaces the installments and posts the ledger entries there), and
freezes collection on the case (the guard refuses every contact while the plan is kept). If the
hook raises, nothing is recorded: the unit of work rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from lendcore.calendar import add_months
from lendcore.collections import store
from lendcore.collections.config import CollectionsConfig, default_config
from lendcore.collections.plans import LoanBalances, PlanInstallment, PlanOffer, Waiver, plan_terms
from lendcore.errors import Conflict, InvalidInput, NotFound
from lendcore.rates import ppb_to_rate, rate_to_ppb
from lendcore.schedules import Method
from lendcore.store.collections_tables import collection_cases, collection_plans
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

RestructureHook = Callable[[UnitOfWork, int, PlanOffer], None]
"""``apply_restructure(uow, loan_id, offer)``: servicing's side of a signed plan."""

SPECIAL_MENTION = "special_mention"


def offer_plan(
    uow: UnitOfWork,
    case_id: int,
    loan_id: int,
    *,
    installments: int,
    offered_on: date,
    proposed_by: str,
    method: Method = Method.EQUAL_INSTALLMENT,
    annual_rate: Decimal | None = None,
    waiver: Waiver | None = None,
    config: CollectionsConfig | None = None,
) -> tuple[int, PlanOffer]:
    """Offer a plan for one of the case's loans; the first installment is due a month later."""
    conn = uow.conn
    case = store.case_row(conn, case_id)
    loan = conn.execute(select(loans).where(loans.c.id == loan_id)).mappings().first()
    if loan is None or loan["customer_id"] != case["customer_id"]:
        raise NotFound(f"loan {loan_id} is not a loan of case {case_id}'s borrower",
                       field="loan_id")
    balances = LoanBalances(
        loan_id=loan_id, principal_outstanding_fen=int(loan["principal_outstanding_fen"]),
        interest_receivable_fen=int(loan["interest_receivable_fen"]),
        fee_receivable_fen=int(loan["fee_receivable_fen"]),
        penalty_receivable_fen=int(loan["penalty_receivable_fen"]),
        annual_rate=ppb_to_rate(int(loan["annual_rate_ppb"])))
    offer = plan_terms(balances, installments=installments, method=method, start=offered_on,
                       proposed_by=proposed_by, config=config or default_config(),
                       annual_rate=annual_rate, waiver=waiver)
    plan_id = store.insert_id(conn, insert(collection_plans).values(
        case_id=case_id, loan_id=loan_id, status="offered", offered_on=offered_on,
        **_offer_values(offer)))
    store.add_history(conn, case, offered_on, "plan_offered",
                      {"plan_id": plan_id, "loan_id": loan_id, "installments": installments})
    return plan_id, offer


def sign_plan(
    uow: UnitOfWork,
    plan_id: int,
    *,
    signed_on: date,
    signed_by: str,
    apply_restructure: RestructureHook,
    config: CollectionsConfig | None = None,
) -> PlanOffer:
    cfg = config or default_config()
    conn = uow.conn
    plan = conn.execute(select(collection_plans).where(collection_plans.c.id == plan_id)
                        .with_for_update()).mappings().first()
    if plan is None:
        raise NotFound(f"no plan {plan_id}", field="plan_id")
    if plan["status"] != "offered":
        raise Conflict(f"plan {plan_id} is {plan['status']}, not offered", field="plan_id")
    if not signed_by.strip():
        raise InvalidInput("who signed", field="signed_by")
    if signed_on < plan["offered_on"]:
        raise InvalidInput("a plan is signed on or after its offer", field="signed_on")
    floor_until = add_months(signed_on, cfg.class_floor_months)
    conn.execute(update(collection_plans).where(collection_plans.c.id == plan_id).values(
        status="signed", signed_on=signed_on, signed_by=signed_by,
        class_floor_until=floor_until))
    _floor_loan_class(uow, int(plan["loan_id"]), floor_until)
    offer = offer_from_row(plan)
    apply_restructure(uow, int(plan["loan_id"]), offer)
    case = store.case_row(conn, int(plan["case_id"]), lock=True)
    conn.execute(update(collection_cases).where(collection_cases.c.id == case["id"]).values(
        next_action="plan_in_force", updated_on=signed_on, version=int(case["version"]) + 1))
    store.add_history(conn, store.case_row(conn, int(case["id"])), signed_on, "plan_signed", {
        "plan_id": plan_id, "special_transaction": offer.special_transaction,
        "bureau_trigger_event": offer.bureau_trigger_event,
        "class_floor_until": floor_until.isoformat()})
    return offer


def _floor_loan_class(uow: UnitOfWork, loan_id: int, floor_until: date) -> None:
    """Restructured: at least 关注 until ``floor_until`` (a later existing floor is kept)."""
    loan = uow.conn.execute(select(loans.c.class_floor_until, loans.c.risk_class, loans.c.version)
                            .where(loans.c.id == loan_id).with_for_update()).mappings().one()
    current = loan["class_floor_until"]
    values: dict[str, Any] = {
        "restructured": True, "version": int(loan["version"]) + 1,
        "class_floor_until": max(current, floor_until) if current else floor_until,
    }
    if loan["risk_class"] == "normal":
        values["risk_class"] = SPECIAL_MENTION
    uow.conn.execute(update(loans).where(loans.c.id == loan_id).values(**values))


def _offer_values(offer: PlanOffer) -> dict[str, Any]:
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


def plan_dict(row: RowMapping) -> dict[str, Any]:
    keys = ("id", "loan_id", "status", "installments_count", "method", "principal_fen",
            "arrears_fen", "waived_penalty_fen", "waived_interest_fen", "waiver_reason",
            "proposed_by", "approved_by", "special_transaction", "bureau_trigger_event")
    out: dict[str, Any] = {k: row[k] for k in keys}
    for k in ("offered_on", "signed_on", "class_floor_until", "broken_on", "start_date"):
        out[k] = row[k].isoformat() if row[k] else None
    out["schedule"] = json.loads(row["schedule_json"])
    return out
