"""Early plans: help before overdue (seed 002: 意识到自己可能会逾期,应该主动联系,协商还款计划).

A borrower who expects trouble asks for a plan before missing a payment
(:func:`request_early_plan`, from the app or through customer service); customer service offers
one (:func:`offer_early_plan`) through the same rules as a negotiated plan on a collections case
(``plans.plan_terms``: at most 60 installments, the contract rate or lower, penalty waivable,
interest up to half, fees never, a reason for any waiver; before overdue only interest already
billed, as servicing waives no other), and it is signed the same way
(``plan_service.sign_plan``: four eyes on a waiver, servicing restructures the loan exactly as
offered, the loan stays at least 关注 for 12 months). It carries the same special-transaction
code (``negotiated_repayment``, trigger event 42): an early plan is a restructure like any other
for the credit bureau.

Without a case: the plan's ``case_id`` is NULL and its ``origin`` is ``early``. The nightly sync
settles it like a case's plan (completed when the loan closes, broken when it falls past grace
again, which opens the borrower's case), and while it is kept the guard refuses collection
contacts on the borrower's case, if another loan opens one.

Who may have one: an active loan that is not in collection. Worked example with 3 days' grace:
dpd 0 or 3 (a payment late within grace) - yes; dpd 4 (past grace: the borrower's case is open,
offer the negotiated plan there) - no, ``loan_in_collection``. A borrower with an open case for
another loan is refused too (``case_open``: one plan conversation, on the case), and so is a
loan with a signed plan still kept (``plan_in_force``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, RowMapping, insert, select, update

from lendcore.clock import business_date
from lendcore.collections import store
from lendcore.collections.config import CollectionsConfig, default_config
from lendcore.collections.plan_service import (
    EARLY,
    OfferedPlan,
    PlanRecord,
    loan_balances,
    offer_values,
    plan_record,
)
from lendcore.collections.plans import Waiver, plan_terms
from lendcore.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lendcore.money import format_yuan
from lendcore.schedules import Method
from lendcore.store.collections_tables import (
    collection_cases,
    collection_plan_requests,
    collection_plans,
)
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

OPEN, OFFERED = "open", "offered"


@dataclass(frozen=True, slots=True)
class PlanRequest:
    request_id: int
    loan_id: int
    customer_id: int
    requested_on: date
    installments: int
    reason: str
    requested_by: str
    status: str
    plan_id: int | None


def loan_row(conn: Connection, loan_id: int, *, lock: bool = False) -> RowMapping:
    query = select(loans).where(loans.c.id == loan_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no loan {loan_id}", field="loan_id")
    return row


def check_eligible(conn: Connection, loan: RowMapping) -> None:
    """An early plan is for an active loan not in collection, without a kept plan."""
    loan_id, dpd, grace = int(loan["id"]), int(loan["dpd"]), int(loan["grace_days"])
    if loan["status"] != "active":
        raise RuleViolation(f"loan {loan_id} is {loan['status']}, not active", field="loan_id",
                            code="loan_not_active")
    if dpd > grace:
        raise RuleViolation(f"loan {loan_id} is {dpd} days past due, past its {grace} days' "
                            "grace: it is in collection, where a negotiated plan is offered "
                            "on its case", field="loan_id", code="loan_in_collection")
    c = collection_cases.c
    case_id = conn.execute(select(c.id).where(c.customer_id == loan["customer_id"],
                                              c.status == "open")).scalar_one_or_none()
    if case_id is not None:
        raise RuleViolation(f"the borrower has open collection case {case_id}: a plan is "
                            "offered on the case", field="loan_id", code="case_open")
    p = collection_plans.c
    kept = conn.execute(select(p.id).where(p.loan_id == loan_id, p.status == "signed")
                        ).scalar_one_or_none()
    if kept is not None:
        raise Conflict(f"loan {loan_id} already has plan {kept} signed and kept",
                       field="loan_id", code="plan_in_force")


def request_early_plan(uow: UnitOfWork, loan_id: int, *, installments: int, reason: str,
                       requested_by: str,
                       config: CollectionsConfig | None = None) -> PlanRequest:
    """The borrower asks today for a plan of ``installments`` on an eligible loan."""
    cfg = config or default_config()
    conn = uow.conn
    today = business_date(conn)
    if installments < 1:
        raise InvalidInput("must be at least 1", field="installments")
    if installments > cfg.max_plan_installments:
        raise RuleViolation(f"a plan has at most {cfg.max_plan_installments} installments; got "
                            f"{installments}", field="installments")
    if not reason.strip():
        raise InvalidInput("why the borrower expects trouble", field="reason")
    loan = loan_row(conn, loan_id, lock=True)
    check_eligible(conn, loan)
    r = collection_plan_requests.c
    if conn.execute(select(r.id).where(r.loan_id == loan_id, r.status == OPEN)).first():
        raise Conflict(f"loan {loan_id} already has an open plan request", field="loan_id",
                       code="request_open")
    request_id = store.insert_id(conn, insert(collection_plan_requests).values(
        loan_id=loan_id, customer_id=loan["customer_id"], requested_on=today,
        installments=installments, reason=reason, requested_by=requested_by, status=OPEN))
    return PlanRequest(request_id, loan_id, int(loan["customer_id"]), today, installments,
                       reason, requested_by, OPEN, None)


def offer_early_plan(
    uow: UnitOfWork,
    loan_id: int,
    *,
    installments: int,
    proposed_by: str,
    method: Method = Method.EQUAL_INSTALLMENT,
    annual_rate: Decimal | None = None,
    waiver: Waiver | None = None,
    config: CollectionsConfig | None = None,
) -> OfferedPlan:
    """Offer an early plan for an eligible loan today (the negotiated plan's rules, no case);
    the loan's open request, if any, is answered by it."""
    conn = uow.conn
    offered_on = business_date(conn)
    loan = loan_row(conn, loan_id, lock=True)
    check_eligible(conn, loan)
    billed = int(loan["overdue_interest_fen"])
    if waiver is not None and waiver.interest_fen > billed:
        # Servicing waives billed interest only; interest not yet due is re-amortised instead.
        raise RuleViolation(f"only interest already billed may be waived before overdue "
                            f"({format_yuan(billed)} yuan)", field="waived_interest")
    offer = plan_terms(loan_balances(loan), installments=installments, method=method,
                       start=offered_on, proposed_by=proposed_by,
                       config=config or default_config(), annual_rate=annual_rate,
                       waiver=waiver)
    plan_id = store.insert_id(conn, insert(collection_plans).values(
        case_id=None, origin=EARLY, loan_id=loan_id, status="offered", offered_on=offered_on,
        **offer_values(offer)))
    r = collection_plan_requests.c
    conn.execute(update(collection_plan_requests).where(r.loan_id == loan_id, r.status == OPEN)
                 .values(status=OFFERED, plan_id=plan_id))
    return OfferedPlan(plan_id, None, offered_on, offer, EARLY)


def early_plan(conn: Connection, plan_id: int) -> PlanRecord:
    """One early plan (a case's plan is read on its case: 404 here)."""
    row = conn.execute(select(collection_plans).where(
        collection_plans.c.id == plan_id, collection_plans.c.origin == EARLY)).mappings().first()
    if row is None:
        raise NotFound(f"no early plan {plan_id}", field="plan_id")
    return plan_record(row)


def list_requests(conn: Connection, *, status: str | None = OPEN, customer_id: int | None = None,
                  after_id: int = 0, limit: int = 100) -> list[PlanRequest]:
    """Plan requests by id after ``after_id`` (a borrower: only theirs, ``customer_id``)."""
    r = collection_plan_requests.c
    query = (select(collection_plan_requests).where(r.id > after_id).order_by(r.id)
             .limit(limit))
    if status is not None:
        query = query.where(r.status == status)
    if customer_id is not None:
        query = query.where(r.customer_id == customer_id)
    return [PlanRequest(int(x.id), int(x.loan_id), int(x.customer_id), x.requested_on,
                        int(x.installments), str(x.reason), str(x.requested_by), str(x.status),
                        None if x.plan_id is None else int(x.plan_id))
            for x in conn.execute(query)]
