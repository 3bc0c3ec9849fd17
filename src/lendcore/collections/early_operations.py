"""Early plans' commands and reads (``early_plans``): a borrower asks, customer service offers,
the borrower signs (or customer service records the signature); a waiver is four eyes.

Built alike by the API (``early_routes``) and the CLI (``lendcore collections early-plan ...``)::

    execute(engine, OfferEarlyPlan(3_000_001, 12), ctx=Context(now=clock.now(), actor="cs.li"))

Each command's subject is the loan (``("loan", id)``), so a borrower's token reaches only their
own loans' plans (``scope``); signing finds the loan through the plan. Who asked, offered or
approved is the signed-in principal (``ctx.actor``), never a field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore import scope
from lendcore.collections import early_plans, plan_service, views
from lendcore.collections.operations import SignPlan
from lendcore.collections.plans import Waiver
from lendcore.principal import BORROWER, Principal
from lendcore.runner import Command, Context
from lendcore.schedules import Method
from lendcore.store.uow import UnitOfWork

LOAN = "loan"


@dataclass(frozen=True, slots=True)
class RequestEarlyPlan(Command):
    """The borrower asks today, before missing a payment, for a plan over ``installments``."""

    name: ClassVar[str] = "collections.request_early_plan"
    permission: ClassVar[str] = "early_plan.request"
    loan_id: int
    installments: int
    reason: str

    def subject(self) -> scope.Subject:
        return (LOAN, self.loan_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> early_plans.PlanRequest:
        return early_plans.request_early_plan(uow, self.loan_id, installments=self.installments,
                                              reason=self.reason, requested_by=ctx.actor)

    def present(self, value: early_plans.PlanRequest) -> dict[str, Any]:
        return views.plan_request(value)


@dataclass(frozen=True, slots=True)
class OfferEarlyPlan(Command):
    """Customer service offers an early plan today, as the operator running it; a waiver needs
    a reason here, and a checker when the plan is signed."""

    name: ClassVar[str] = "collections.offer_early_plan"
    permission: ClassVar[str] = "early_plan.offer"
    loan_id: int
    installments: int
    method: Method = Method.EQUAL_INSTALLMENT
    waive_penalty_fen: int = 0
    waive_interest_fen: int = 0
    waiver_reason: str | None = None

    def subject(self) -> scope.Subject:
        return (LOAN, self.loan_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> plan_service.OfferedPlan:
        waiver = Waiver(self.waive_penalty_fen, self.waive_interest_fen, self.waiver_reason)
        return early_plans.offer_early_plan(uow, self.loan_id, installments=self.installments,
                                            proposed_by=ctx.actor, method=self.method,
                                            waiver=waiver)

    def present(self, value: plan_service.OfferedPlan) -> dict[str, Any]:
        return views.offered_plan(value)


@dataclass(frozen=True, slots=True)
class SignEarlyPlan(SignPlan):
    """The borrower signs an offered early plan today (themselves, or customer service records
    it); servicing restructures the loan as offered. A plan that waives penalty or interest is
    stored for a checker (``early_plan.sign:check``), who did not offer it. The loan must still
    be eligible (not past grace, no case) when it is signed."""

    name: ClassVar[str] = "collections.sign_early_plan"
    permission: ClassVar[str] = "early_plan.sign"
    origin: ClassVar[str] = plan_service.EARLY

    def check_offered(self, conn: Connection, head: plan_service.PlanHead) -> None:
        early_plans.check_eligible(conn, early_plans.loan_row(conn, head.loan_id))


# --- reads ---------------------------------------------------------------------------------------
def check_plan_scope(conn: Connection, principal: Principal | None, plan_id: int) -> None:
    """Refuse (403) a plan outside ``principal``'s scope (one that does not exist: the 404 is
    the command's or the read's)."""
    head = plan_service.plan_head(conn, plan_id)
    if head is not None:
        scope.check(conn, principal, head.subject())


def early_plan_for(conn: Connection, principal: Principal | None,
                   plan_id: int) -> plan_service.PlanRecord:
    check_plan_scope(conn, principal, plan_id)
    return early_plans.early_plan(conn, plan_id)


def requests_for(conn: Connection, principal: Principal | None, *, status: str | None,
                 after_id: int, limit: int) -> list[early_plans.PlanRequest]:
    """Plan requests: a borrower sees only their own."""
    own = principal.customer_id if principal is not None and principal.kind == BORROWER else None
    if principal is not None and principal.kind == BORROWER and own is None:
        return []
    return early_plans.list_requests(conn, status=status, customer_id=own, after_id=after_id,
                                     limit=limit)
