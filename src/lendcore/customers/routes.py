"""HTTP routes for customers and credit lines: parse the body, build the command, run it.

    POST /customers                         create a customer
    GET  /customers/{customer_id}           the customer and their lines
    POST /credit-lines                      open a line (one that exists: 409 line_exists)
    GET  /credit-lines/{line_id}
    POST /credit-lines/{line_id}/limit      a new limit, with a reason (and its decision/review)
    POST /credit-lines/{line_id}/freeze     /unfreeze   /close    (each with a reason)

Money is a yuan string ("20000"); every change is logged in ``limit_changes`` with the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from sqlalchemy import Engine

from lendcore import audit
from lendcore.access.guard import allow
from lendcore.customers import operations as ops
from lendcore.customers import service, views
from lendcore.edge import Body, Identifier, Money, Text, TimeZoneName, parse_money
from lendcore.runner import Command, Context, query
from lendcore.web import ContextDep, EngineDep, IdField, IdPath, run

if TYPE_CHECKING:  # mypy sees the plain types; pydantic the checked ones below
    Name = str
    Product = str
    Reason = str
else:
    Name, Product, Reason = Text(64, required=False), Text(64), Text(255)

router = APIRouter(tags=["customers"])


def _run(engine: Engine, ctx: Context, command: Command) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, command)
    return result


class CustomerIn(Body):
    name_masked: Name = ""
    timezone: TimeZoneName = "Asia/Shanghai"
    external_ref: Identifier | None = None


class LineIn(Body):
    customer_id: IdField
    product: Product
    limit: Money


class LimitIn(Body):
    limit: Money
    reason: Reason
    decision_id: IdField | None = None
    review_id: IdField | None = None


class ReasonIn(Body):
    reason: Reason


@router.post("/customers", status_code=201, dependencies=[allow("customer.create")])
def create_customer(body: CustomerIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.CreateCustomer(body.name_masked, body.timezone,
                                               body.external_ref))


@router.get("/customers/{customer_id}", dependencies=[allow("customer.read")])
def get_customer(customer_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return views.customer(query(engine, service.get_customer, customer_id))


class UnmaskIn(Body):
    reason: Reason


@router.post("/customers/{customer_id}/unmask", dependencies=[allow("customer.unmask")])
def unmask(customer_id: IdPath, body: UnmaskIn, engine: EngineDep,
           ctx: ContextDep) -> dict[str, Any]:
    """The full name, ID number and mobile, once the read and its reason are in the audit
    trail (a read that could not be recorded returns nothing)."""
    found: dict[str, Any] = audit.read_unmasked(
        engine, ctx, "customer.identity", body.reason, service.unmasked_identity, customer_id,
        subject={"customer_id": customer_id})
    return found


@router.post("/credit-lines", status_code=201, dependencies=[allow("line.open")])
def open_line(body: LineIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.OpenLine(body.customer_id, body.product,
                                         parse_money(body.limit, "limit")))


@router.get("/credit-lines/{line_id}", dependencies=[allow("line.read")])
def get_line(line_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return views.line(query(engine, service.get_line, line_id))


@router.post("/credit-lines/{line_id}/limit", dependencies=[allow("line.set_limit")])
def set_limit(line_id: IdPath, body: LimitIn, engine: EngineDep,
              ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.SetLimit(line_id, parse_money(body.limit, "limit"), body.reason,
                                         body.decision_id, body.review_id))


@router.post("/credit-lines/{line_id}/freeze", dependencies=[allow("line.freeze")])
def freeze(line_id: IdPath, body: ReasonIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.FreezeLine(line_id, body.reason))


@router.post("/credit-lines/{line_id}/unfreeze", dependencies=[allow("line.unfreeze")])
def unfreeze(line_id: IdPath, body: ReasonIn, engine: EngineDep,
             ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.UnfreezeLine(line_id, body.reason))


@router.post("/credit-lines/{line_id}/close", dependencies=[allow("line.close")])
def close(line_id: IdPath, body: ReasonIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.CloseLine(line_id, body.reason))
