"""HTTP routes for early plans (help before overdue): parse, build the command, run it.

A router of its own beside ``routes`` (``wiring.routers``), on the same ``/collections`` prefix
and request pipeline (sign-in, one permission per route, audit, errors). A borrower's token
reaches only their own loans (the commands' subject is the loan); who asks, offers or approves
is the signed-in principal, never a field of the body. No body or query parameter carries a
date.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from lendcore.access.guard import allow
from lendcore.collections import early_operations, queries, views
from lendcore.collections.fields import (
    Person,
    PlanInstallments,
    PlanMethod,
    PlanRequestStatus,
    Reason,
)
from lendcore.edge import Body, Money, parse_money
from lendcore.errors import InvalidInput
from lendcore.principal import Principal
from lendcore.runner import query
from lendcore.schedules import Method
from lendcore.web import ContextDep, EngineDep, IdField, IdPath, KeyHeader, run

router = APIRouter(prefix="/collections", tags=["collections"])


def _only_query(*names: str) -> Any:
    """Refuse a query parameter the route does not take (as ``routes`` does)."""
    accepted = ", ".join(names) or "none"

    async def check(request: Request) -> None:
        for name in request.query_params:
            if name not in names:
                raise InvalidInput(f"unknown query parameter; accepted: {accepted}",
                                   field=name[:64])

    return Depends(check)


NO_QUERY = [_only_query()]
_WAIVER = ("yuan; needs a reason, and signing the plan then needs a checker "
           "(early_plan.sign:check)")


class PlanRequestIn(Body):
    loan_id: IdField
    installments: PlanInstallments
    reason: Reason = Field(description="why the borrower expects trouble")


class EarlyPlanIn(Body):
    loan_id: IdField
    installments: PlanInstallments
    method: PlanMethod = "equal-installment"
    waive_penalty: Money = Field("0", description=_WAIVER)
    waive_interest: Money = Field("0", description=_WAIVER)
    reason: Reason | None = Field(None, description="why the waiver")


class EarlyPlanSignIn(Body):
    signed_by: Person = Field(description="the borrower's side: who signed, or how (e.g. "
                                               "\"borrower (in the app)\")")


@router.post("/early-plan-requests", status_code=201,
             dependencies=[allow("early_plan.request"), *NO_QUERY])
def request_early_plan(body: PlanRequestIn, engine: EngineDep, ctx: ContextDep,
                       key: KeyHeader = None) -> dict[str, Any]:
    """Ask, before missing a payment, for a repayment plan on one's loan (a borrower: their
    own; customer service: on the borrower's behalf). Customer service answers with an offer."""
    result: dict[str, Any] = run(engine, ctx, early_operations.RequestEarlyPlan(
        body.loan_id, body.installments, body.reason), key)
    return result


@router.get("/early-plan-requests", dependencies=[_only_query("status", "after", "limit")])
def list_plan_requests(who: Annotated[Principal, allow("early_plan.read")], engine: EngineDep,
                       status: PlanRequestStatus = "open",
                       after: int = Query(0, ge=0, le=2**63 - 1,
                                          description="the last id seen"),
                       limit: int = Query(queries.DEFAULT_PAGE, ge=1, le=queries.MAX_PAGE),
                       ) -> list[dict[str, Any]]:
    """Plan requests by id (a borrower: their own)."""
    return views.plan_requests(query(engine, lambda conn: early_operations.requests_for(
        conn, who, status=status, after_id=after, limit=limit)))


@router.post("/early-plans", status_code=201,
             dependencies=[allow("early_plan.offer"), *NO_QUERY])
def offer_early_plan(body: EarlyPlanIn, engine: EngineDep, ctx: ContextDep,
                     key: KeyHeader = None) -> dict[str, Any]:
    """Offer a plan before overdue today, as the signed-in operator: the negotiated plan's
    rules, no collections case, the same special-transaction code."""
    result: dict[str, Any] = run(engine, ctx, early_operations.OfferEarlyPlan(
        body.loan_id, body.installments, Method.parse(body.method),
        parse_money(body.waive_penalty, "waive_penalty", allow_zero=True),
        parse_money(body.waive_interest, "waive_interest", allow_zero=True),
        body.reason), key)
    return result


@router.get("/early-plans/{plan_id}", dependencies=[_only_query()])
def get_early_plan(plan_id: IdPath, who: Annotated[Principal, allow("early_plan.read")],
                   engine: EngineDep) -> dict[str, Any]:
    """One early plan with its schedule (a borrower: on their own loan)."""
    return views.plan(query(engine, early_operations.early_plan_for, who, plan_id))


@router.post("/early-plans/{plan_id}/sign", response_model=None,
             dependencies=[allow("early_plan.sign"), *NO_QUERY])
def sign_early_plan(plan_id: IdPath, body: EarlyPlanSignIn, engine: EngineDep,
                    ctx: ContextDep, key: KeyHeader = None) -> dict[str, Any] | JSONResponse:
    """Sign an offered early plan today: the loan is restructured exactly as offered. A plan
    with a waiver waits for a checker instead: 202 with a pending id."""
    query(engine, early_operations.check_plan_scope, ctx.principal, plan_id)
    result: dict[str, Any] | JSONResponse = run(
        engine, ctx, early_operations.SignEarlyPlan(plan_id, body.signed_by), key)
    return result
