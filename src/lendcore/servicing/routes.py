"""HTTP routes for servicing: thin adapters over ``service`` and ``queries``.

Money is a decimal string in yuan ("917.99"); a JSON number is refused (422, naming the field).
Money-moving commands need an ``Idempotency-Key`` header: a repeat returns the first result, the
same key with another payload is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from sqlalchemy import Engine

from lendcore.api.deps import IdField, IdPath, get_engine
from lendcore.errors import InvalidInput
from lendcore.money import parse_yuan
from lendcore.servicing import queries, service
from lendcore.servicing.runner import run_command
from lendcore.store.uow import UnitOfWork

router = APIRouter(tags=["servicing"])
EngineDep = Annotated[Engine, Depends(get_engine)]
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CustomerIn(_Body):
    name_masked: StrictStr = ""
    timezone: StrictStr = "Asia/Shanghai"
    external_ref: StrictStr | None = None


class LineIn(_Body):
    customer_id: IdField
    product: StrictStr
    limit: StrictStr = Field(description="yuan, e.g. \"20000\"")


class DrawIn(_Body):
    amount: StrictStr
    installments: int
    method: StrictStr = "equal-installment"
    purpose: StrictStr
    payee: StrictStr
    payee_kind: StrictStr = "ecosystem"
    prepayment_mode: StrictStr = "shorten"


class OrderIn(_Body):
    order_id: StrictStr
    merchant_id: StrictStr
    amount: StrictStr
    items: list[dict[str, Any]] = []


class CheckoutIn(_Body):
    customer_id: IdField
    order: OrderIn
    installments: int
    method: StrictStr = "flat-fee"
    interest_free: bool = False


class AmountIn(_Body):
    amount: StrictStr
    effective_date: date | None = None


def _key(key: str | None) -> str:
    if not key:
        raise InvalidInput("money-moving commands need an Idempotency-Key header",
                           field="Idempotency-Key")
    return key


def _read(engine: Engine, fn: Any, *args: Any) -> dict[str, Any]:
    with UnitOfWork(engine, read_only=True) as uow:
        result: dict[str, Any] = fn(uow.conn, *args)
        return result


@router.post("/customers", status_code=201)
def create_customer(body: CustomerIn, engine: EngineDep) -> dict[str, Any]:
    return run_command(engine, "create_customer", None, body.model_dump(),
                       lambda uow: service.create_customer(uow, **body.model_dump()))


@router.post("/credit-lines", status_code=201)
def open_line(body: LineIn, engine: EngineDep) -> dict[str, Any]:
    limit = parse_yuan(body.limit, "limit")
    return run_command(engine, "open_line", None, body.model_dump(),
                       lambda uow: service.open_credit_line(
                           uow, customer_id=body.customer_id, product_code=body.product,
                           limit_fen=limit))


@router.get("/credit-lines/{line_id}")
def get_line(line_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return _read(engine, service.line_view, line_id)


@router.post("/credit-lines/{line_id}/draws", status_code=201)
def draw(line_id: IdPath, body: DrawIn, engine: EngineDep, key: KeyHeader = None) -> dict[str, Any]:
    req = service.DrawRequest(line_id, parse_yuan(body.amount), body.installments, body.method,
                              body.purpose, body.payee, body.payee_kind, body.prepayment_mode)
    return run_command(engine, "draw", _key(key), {"line_id": line_id, **body.model_dump()},
                       lambda uow: service.draw(uow, req))


@router.post("/checkout-loans", status_code=201)
def checkout(body: CheckoutIn, engine: EngineDep, key: KeyHeader = None) -> dict[str, Any]:
    req = service.CheckoutRequest(
        body.customer_id, body.order.order_id, body.order.merchant_id,
        parse_yuan(body.order.amount, "order.amount"), body.installments,
        tuple(body.order.items), body.method, body.interest_free)
    return run_command(engine, "checkout", _key(key), body.model_dump(),
                       lambda uow: service.checkout(uow, req))


@router.get("/loans/{loan_id}")
def get_loan(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return _read(engine, queries.loan_summary, loan_id)


@router.get("/loans/{loan_id}/schedule")
def get_schedule(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return _read(engine, queries.schedule, loan_id)


@router.get("/loans/{loan_id}/statement")
def get_statement(loan_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return _read(engine, queries.statement, loan_id)


@router.get("/loans/{loan_id}/payoff")
def get_payoff(loan_id: IdPath, on: date, engine: EngineDep) -> dict[str, Any]:
    return _read(engine, queries.payoff_quote, loan_id, on)


LoanCommand = Callable[[UnitOfWork, int, int, str], dict[str, Any]]


def _money_command(engine: Engine, command: str, loan_id: int, body: AmountIn, key: str | None,
                   fn: LoanCommand) -> dict[str, Any]:
    """A money-moving command on one loan: amount in yuan, idempotency key required."""
    amount = parse_yuan(body.amount)
    k = _key(key)
    return run_command(engine, command, k, {"loan_id": loan_id, **body.model_dump()},
                       lambda uow: fn(uow, loan_id, amount, k))


@router.post("/loans/{loan_id}/repayments", status_code=201)
def repay(loan_id: IdPath, body: AmountIn, engine: EngineDep,
          key: KeyHeader = None) -> dict[str, Any]:
    return _money_command(engine, "repay", loan_id, body, key,
                          lambda uow, lid, fen, k: service.repay(uow, lid, fen,
                                                                 body.effective_date, k))


@router.post("/loans/{loan_id}/refunds", status_code=201)
def refund(loan_id: IdPath, body: AmountIn, engine: EngineDep,
           key: KeyHeader = None) -> dict[str, Any]:
    return _money_command(engine, "refund", loan_id, body, key, service.refund_goods)


@router.post("/loans/{loan_id}/overpayment-refunds", status_code=201)
def refund_overpayment(loan_id: IdPath, body: AmountIn, engine: EngineDep,
                       key: KeyHeader = None) -> dict[str, Any]:
    return _money_command(engine, "overpayment_refund", loan_id, body, key,
                          service.refund_overpayment)


@router.get("/business-date")
def get_business_date(engine: EngineDep) -> dict[str, str]:
    from lendcore.servicing.runner import business_date

    with UnitOfWork(engine, read_only=True) as uow:
        return {"business_date": business_date(uow.conn).isoformat()}
