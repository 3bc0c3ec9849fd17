"""HTTP routes for servicing: parse the body, build the command (``servicing.operations``), run.

Money is a yuan string by one pattern ("917.99"); a JSON number, "1,5", "1e3", "+10", " 10",
full-width or other scripts' digits are refused (422 naming the field). Identifiers (order,
merchant, a draw's payee) are ``edge.Identifier``; free text has a maximum length and a character
policy; unknown fields are refused. A draw's ``purpose`` is a consumption-purpose code and its
``payee`` a registered, active merchant (``payee_kind`` merchant); a checkout's order lists 1 to
100 items summing to its amount (the service says which rule a request breaks). Money-moving
commands need an ``Idempotency-Key`` header: a repeat returns the first result, the same key
with another payload is 409.

A repayment's ``effective_date`` (YYYY-MM-DD) is the only dated input: at most the business
date, at least the loan's start; an earlier one is booked as back-dated.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter
from pydantic import BeforeValidator, Field, StrictBool, WithJsonSchema
from sqlalchemy import Engine

from lendcore.access.guard import allow
from lendcore.edge import Body, Count, Identifier, Money, StrictDate, Text, parse_money
from lendcore.runner import Command, Context, query
from lendcore.servicing import operations as ops
from lendcore.servicing import queries, views
from lendcore.web import ContextDep, EngineDep, IdField, IdPath, KeyHeader, run

SLUG_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
MAX_ITEMS = 100


def _slug(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(SLUG_PATTERN, value):
        raise ValueError("must be 1 to 32 lower-case ASCII letters, digits or _, starting "
                         "with a letter")
    return value


if TYPE_CHECKING:  # mypy sees the plain types; pydantic the checked ones below
    Purpose = str
    Choice = str
    ItemName = str
    Slug = str
    Installments = int
    Quantity = int
else:
    Purpose, Choice, ItemName = Text(32), Text(32), Text(128)
    Installments, Quantity = Count(1, 360), Count(1, 999)
    Slug = Annotated[str, BeforeValidator(_slug),
                     WithJsonSchema({"type": "string", "pattern": SLUG_PATTERN})]

router = APIRouter(tags=["servicing"])


def _run(engine: Engine, ctx: Context, command: Command, key: str | None) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, command, key)
    return result


class DrawIn(Body):
    amount: Money
    installments: Installments
    method: Choice = "equal-installment"
    purpose: Purpose
    payee: Identifier  # a registered merchant's id
    payee_kind: Choice = "merchant"
    prepayment_mode: Choice = "shorten"


class ItemIn(Body):
    name: ItemName
    category: Slug
    quantity: Quantity
    unit_price: Money


class OrderIn(Body):
    order_id: Identifier
    merchant_id: Identifier
    amount: Money
    items: Annotated[tuple[ItemIn, ...], Field(min_length=1, max_length=MAX_ITEMS)]


class CheckoutIn(Body):
    customer_id: IdField
    order: OrderIn
    installments: Installments
    method: Choice = "flat-fee"
    interest_free: StrictBool = False


class RepaymentIn(Body):
    amount: Money
    effective_date: StrictDate | None = None


class AmountIn(Body):
    amount: Money


@router.post("/credit-lines/{line_id}/draws", status_code=201, dependencies=[allow("loan.draw")])
def draw(line_id: IdPath, body: DrawIn, engine: EngineDep, ctx: ContextDep,
         key: KeyHeader = None) -> dict[str, Any]:
    command = ops.Draw(line_id, parse_money(body.amount, "amount"), body.installments,
                       body.purpose, body.payee, body.method, body.payee_kind,
                       body.prepayment_mode)
    return _run(engine, ctx, command, key)


@router.post("/checkout-loans", status_code=201, dependencies=[allow("loan.checkout")])
def checkout(body: CheckoutIn, engine: EngineDep, ctx: ContextDep,
             key: KeyHeader = None) -> dict[str, Any]:
    order = body.order
    items = tuple(ops.Item(i.name, i.category, i.quantity,
                           parse_money(i.unit_price, f"order.items.{n}.unit_price",
                                       allow_zero=True))
                  for n, i in enumerate(order.items))
    command = ops.Checkout(body.customer_id, order.order_id, order.merchant_id,
                           parse_money(order.amount, "order.amount"), body.installments, items,
                           body.method, body.interest_free)
    return _run(engine, ctx, command, key)


@router.get("/loans/{loan_id}", dependencies=[allow("loan.read")])
def get_loan(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return views.loan_summary(query(engine, queries.loan_summary, loan_id))


@router.get("/loans/{loan_id}/schedule", dependencies=[allow("loan.read")])
def get_schedule(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return views.schedule(query(engine, queries.schedule, loan_id))


@router.get("/loans/{loan_id}/statement", dependencies=[allow("loan.read")])
def get_statement(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return views.statement(query(engine, queries.statement, loan_id))


@router.get("/loans/{loan_id}/payoff", dependencies=[allow("loan.read")])
def get_payoff(loan_id: IdPath, on: date, engine: EngineDep) -> dict[str, Any]:
    return views.payoff(query(engine, queries.payoff_quote, loan_id, on))


@router.post("/loans/{loan_id}/repayments", status_code=201, dependencies=[allow("loan.repay")])
def repay(loan_id: IdPath, body: RepaymentIn, engine: EngineDep, ctx: ContextDep,
          key: KeyHeader = None) -> dict[str, Any]:
    command = ops.Repay(loan_id, parse_money(body.amount, "amount"), body.effective_date)
    return _run(engine, ctx, command, key)


@router.post("/loans/{loan_id}/refunds", status_code=201, dependencies=[allow("loan.refund")])
def refund(loan_id: IdPath, body: AmountIn, engine: EngineDep, ctx: ContextDep,
           key: KeyHeader = None) -> dict[str, Any]:
    command = ops.RefundGoods(loan_id, parse_money(body.amount, "amount"))
    return _run(engine, ctx, command, key)


@router.post("/loans/{loan_id}/overpayment-refunds", status_code=201,
             dependencies=[allow("loan.refund_overpayment")])
def refund_overpayment(loan_id: IdPath, body: AmountIn, engine: EngineDep, ctx: ContextDep,
                       key: KeyHeader = None) -> dict[str, Any]:
    command = ops.RefundOverpayment(loan_id, parse_money(body.amount, "amount"))
    return _run(engine, ctx, command, key)
