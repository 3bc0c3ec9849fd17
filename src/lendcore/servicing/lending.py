"""New lending: customers, credit lines, cash draws and checkout installment loans.

A draw checks the line (frozen, available amount), the purpose (prohibited purposes are refused
with the reason) and the payee; a checkout loan pays the merchant, never the borrower. The loan
is priced from the product's term tiers (the line's priced daily rate may lower them), quoted
with its APR and refused over the 24% cap, opened, and its disbursement posted to the ledger,
all in the caller's unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Connection, select

from lendcore.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lendcore.ids import loan_id as make_loan_id
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry, Reason, credit, debit
from lendcore.ledger.store import post_many
from lendcore.money import format_yuan
from lendcore.products.caps import load_caps
from lendcore.products.catalogue import get_product
from lendcore.products.model import Product, ProductKind, RepaymentMethod
from lendcore.products.pricing import contract_rate, interest_free_plan, schedule_terms
from lendcore.rates import PPB, rate_to_ppb
from lendcore.schedules.apr import disclosed_rate
from lendcore.schedules.quote import quote
from lendcore.servicing import repository as repo
from lendcore.servicing.accrual import open_loan
from lendcore.servicing.model import (
    PAY_ANY_TIME,
    LoanTerms,
    PrepaymentMode,
    parse_allocation,
)
from lendcore.servicing.posting import loan_view, post_delta
from lendcore.servicing.runner import business_date
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.uow import UnitOfWork

PAYEE_KINDS = ("ecosystem", "partner_merchant")
# Rates are stored in parts per billion. The penalty rate is rounded *down* to it, so a rate
# capped at 24% can never round above the cap.
_PPB = Decimal("1e-9")


# -- customers and lines ---------------------------------------------------------------------
def create_customer(uow: UnitOfWork, *, name_masked: str = "", timezone: str = "Asia/Shanghai",
                    external_ref: str | None = None) -> dict[str, Any]:
    bd = business_date(uow.conn)
    if external_ref is not None and uow.conn.execute(
            select(customers.c.id).where(customers.c.external_ref == external_ref)).first():
        raise Conflict(f"a customer with external_ref {external_ref!r} already exists",
                       field="external_ref", code="duplicate_external_ref")
    result = uow.conn.execute(customers.insert().values(
        name_masked=name_masked, timezone=timezone, external_ref=external_ref, created_on=bd))
    return {"customer_id": _new_id(result)}


def open_credit_line(uow: UnitOfWork, *, customer_id: int, product_code: str, limit_fen: int,
                     daily_rate_ppb: int | None = None) -> dict[str, Any]:
    product = get_product(product_code)
    _customer(uow.conn, customer_id)
    if not product.principal_min_fen <= limit_fen <= product.principal_max_fen:
        raise InvalidInput(f"a {product.code} limit is {format_yuan(product.principal_min_fen)} "
                           f"to {format_yuan(product.principal_max_fen)}", field="limit")
    existing = uow.conn.execute(select(credit_lines).where(
        (credit_lines.c.customer_id == customer_id)
        & (credit_lines.c.product_code == product_code))).first()
    if existing is not None:
        uow.conn.execute(credit_lines.update().where(credit_lines.c.id == existing.id).values(
            limit_fen=limit_fen, daily_rate_ppb=daily_rate_ppb, version=existing.version + 1))
        return line_view(uow.conn, existing.id)
    result = uow.conn.execute(credit_lines.insert().values(
        customer_id=customer_id, product_code=product_code, limit_fen=limit_fen,
        daily_rate_ppb=daily_rate_ppb, opened_on=business_date(uow.conn)))
    return line_view(uow.conn, _new_id(result))


def line_view(conn: Connection, line_id: int) -> dict[str, Any]:
    row = conn.execute(select(credit_lines).where(credit_lines.c.id == line_id)).first()
    if row is None:
        raise NotFound(f"no credit line {line_id}", field="line_id")
    return {
        "line_id": row.id, "customer_id": row.customer_id, "product": row.product_code,
        "limit": format_yuan(row.limit_fen), "used": format_yuan(row.used_fen),
        "available": format_yuan(row.limit_fen - row.used_fen), "frozen": bool(row.frozen),
        "frozen_reason": row.frozen_reason,
        "daily_rate": None if row.daily_rate_ppb is None
        else str(Decimal(row.daily_rate_ppb) / PPB),
    }


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no primary key")
    return int(key[0])


def _customer(conn: Connection, customer_id: int) -> Any:
    row = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
    if row is None:
        raise NotFound(f"no customer {customer_id}", field="customer_id")
    return row


# -- new loans ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrawRequest:
    line_id: int
    amount_fen: int
    installments: int
    method: str
    purpose: str
    payee: str
    payee_kind: str
    prepayment_mode: str = "shorten"


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    customer_id: int
    order_id: str
    merchant_id: str
    amount_fen: int
    installments: int
    items: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    method: str = "flat-fee"
    interest_free: bool = False  # 贴息: the merchant pays the fee


def draw(uow: UnitOfWork, req: DrawRequest) -> dict[str, Any]:
    """A cash draw on a credit line: purpose and payee checked, limit reserved, money out."""
    line = _locked_line(uow.conn, req.line_id)
    product = get_product(line.product_code)
    if product.kind is not ProductKind.CASH_LINE:
        raise InvalidInput(f"line {line.id} is a {product.code} line; draws need a cash line",
                           field="line_id")
    if product.refuses_purpose(req.purpose):
        raise RuleViolation(f"purpose {req.purpose!r} is prohibited for consumer credit "
                            "(investment, securities, property and similar uses)",
                            field="purpose", code="prohibited_purpose")
    if req.payee_kind not in PAYEE_KINDS:
        raise InvalidInput(f"accepted: {', '.join(PAYEE_KINDS)}", field="payee_kind")
    if not req.payee.strip():
        raise InvalidInput("name who is paid", field="payee")
    _reserve(uow.conn, line, req.amount_fen)
    daily = None if line.daily_rate_ppb is None else Decimal(line.daily_rate_ppb) / PPB
    extra = {"kind": "draw", "credit_line_id": line.id, "purpose": req.purpose.strip().lower(),
             "payee": f"{req.payee_kind}:{req.payee.strip()}"}
    return _open(uow, product, line.customer_id, req.amount_fen, req.installments, req.method,
                 daily, extra, checkout=False, prepayment_mode=req.prepayment_mode)


def checkout(uow: UnitOfWork, req: CheckoutRequest) -> dict[str, Any]:
    """An installment loan for a merchant order: the merchant is paid, never the borrower."""
    line = uow.conn.execute(select(credit_lines).where(
        (credit_lines.c.customer_id == req.customer_id)
        & (credit_lines.c.product_code == "checkout-installment"))).first()
    if line is None:
        raise RuleViolation("the customer has no checkout-installment credit line",
                            field="customer_id", code="no_credit_line")
    line = _locked_line(uow.conn, line.id)
    if not req.order_id.strip() or not req.merchant_id.strip():
        raise InvalidInput("an order id and a merchant id are required", field="order_id")
    product = get_product("checkout-installment")
    _reserve(uow.conn, line, req.amount_fen)
    extra = {"kind": "checkout", "credit_line_id": line.id, "merchant_id": req.merchant_id,
             "order_id": req.order_id, "payee": f"merchant:{req.merchant_id}",
             "purpose": "goods"}
    loan = _open(uow, product, req.customer_id, req.amount_fen, req.installments, req.method,
                 None, extra, checkout=True, interest_free=req.interest_free)
    if req.interest_free:
        loan["merchant_subsidy"] = _post_subsidy(uow.conn, product, loan["loan_id"],
                                                 req.amount_fen, req.installments)
    return loan


def _post_subsidy(conn: Connection, product: Product, loan_id: int, amount_fen: int,
                  installments: int) -> str:
    """贴息: the merchant pays the fee the borrower does not (netted from what it is paid)."""
    bd = business_date(conn)
    subsidy = interest_free_plan(product, amount_fen, installments, bd).merchant_subsidy_fen
    if subsidy > 0:
        post_many(conn, [Entry(Reason.MERCHANT_SUBSIDY, bd,
                               (debit(Account.MERCHANT_PAYABLE, subsidy),
                                credit(Account.FEE_INCOME, subsidy)),
                               loan_id, product.code, f"loan:{loan_id}:subsidy")])
    return format_yuan(subsidy)


def _locked_line(conn: Connection, line_id: int) -> Any:
    query = select(credit_lines).where(credit_lines.c.id == line_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    line = conn.execute(query).first()
    if line is None:
        raise NotFound(f"no credit line {line_id}", field="line_id")
    return line


def _reserve(conn: Connection, line: Any, amount_fen: int) -> None:
    if line.frozen:
        reason = line.frozen_reason or "no reason given"
        raise RuleViolation(f"credit line {line.id} is frozen ({reason})",
                            field="line_id", code="line_frozen")
    available = line.limit_fen - line.used_fen
    if amount_fen > available:
        raise RuleViolation(f"amount exceeds the available {format_yuan(available)} CNY",
                            field="amount", code="exceeds_available")
    conn.execute(credit_lines.update().where(credit_lines.c.id == line.id)
                 .values(used_fen=credit_lines.c.used_fen + amount_fen))


def _open(uow: UnitOfWork, product: Product, customer_id: int, amount_fen: int,
          installments: int, method_text: str, daily: Decimal | None, extra: dict[str, Any],
          *, checkout: bool, interest_free: bool = False,
          prepayment_mode: str = "shorten") -> dict[str, Any]:
    conn = uow.conn
    bd = business_date(conn)
    terms, apr = _loan_terms(product, customer_id, amount_fen, installments, method_text, daily,
                             bd, interest_free, prepayment_mode)
    customer = _customer(conn, customer_id)
    number = customer.loan_counter + 1
    conn.execute(customers.update().where(customers.c.id == customer_id)
                 .values(loan_counter=number))
    terms = replace(terms, loan_id=make_loan_id(customer_id, number))
    state = open_loan(terms)
    repo.insert(conn, state, {**extra, "customer_id": customer_id,
                              "product_code": product.code,
                              "apr_nominal_ppb": rate_to_ppb(disclosed_rate(apr))}, bd)
    repo.append_event(uow.batch, terms.loan_id, "disbursement", bd, amount_fen, {}, None)
    post_delta(uow.batch, state.totals, terms.loan_id, product.code, bd, checkout,
               f"loan:{terms.loan_id}:open")
    uow.batch.run()  # the view below reads what was just written
    return loan_view(conn, terms.loan_id)


def _loan_terms(product: Product, customer_id: int, amount_fen: int, installments: int,
                method_text: str, daily: Decimal | None, bd: date, interest_free: bool,
                prepayment_mode: str) -> tuple[LoanTerms, Decimal]:
    try:
        method = RepaymentMethod(method_text)
    except ValueError:
        accepted = ", ".join(m.value for m in product.methods)
        raise InvalidInput(f"unknown method {method_text!r}; accepted: {accepted}",
                           field="method") from None
    if method not in product.methods:
        accepted = ", ".join(m.value for m in product.methods)
        raise InvalidInput(f"{product.code} offers {accepted}", field="method")
    try:
        mode = PrepaymentMode(prepayment_mode)
    except ValueError:
        raise InvalidInput("accepted: shorten, lower", field="prepayment_mode") from None
    caps = load_caps().on(bd)
    common: dict[str, Any] = dict(
        loan_id=0, start=bd, installments=installments, day_count=product.day_count,
        interest_mode=product.interest_mode, rounding=product.rounding,
        installment_multiple_fen=product.installment_multiple_fen, grace_days=product.grace_days,
        charge_off_dpd=product.charge_off_dpd, ladder=product.classification.value,
        prepayment_mode=mode, penalty_on_interest=product.penalty_on_interest,
        allocation_order=parse_allocation(
            tuple(f"{b.value}.{c.value}" for b, c in product.allocation_order)))
    if method is RepaymentMethod.PAY_ANY_TIME:
        if not product.principal_min_fen <= amount_fen <= product.principal_max_fen:
            raise InvalidInput(f"{product.code} lends {format_yuan(product.principal_min_fen)} "
                               f"to {format_yuan(product.principal_max_fen)}", field="amount")
        rate = contract_rate(product, installments, daily)
        apr = rate.annual
        annual_ppb, fee_ppb = rate_to_ppb(rate.annual), 0
        method_value = PAY_ANY_TIME
    else:
        sterms = schedule_terms(product, method, amount_fen, installments, bd, daily)
        if interest_free:
            if not product.merchant_funded_interest_free:
                raise RuleViolation(f"{product.code} has no interest-free promotions",
                                    field="interest_free", code="no_promotion")
            sterms = replace(sterms, annual_rate=Decimal(0),
                             fee_rate_per_installment=Decimal(0))
        apr = quote(sterms).apr.nominal
        annual_ppb = rate_to_ppb(sterms.annual_rate)
        fee_ppb = rate_to_ppb(sterms.fee_rate_per_installment)
        method_value = method.value
    penalty = min(product.penalty_multiplier * apr, caps.hard_cap)
    terms = LoanTerms(**common, principal_fen=amount_fen, method=method_value,
                      annual_rate_ppb=annual_ppb, fee_rate_ppb=fee_ppb,
                      penalty_rate_ppb=rate_to_ppb(penalty.quantize(_PPB, rounding=ROUND_DOWN)))
    return terms, apr


