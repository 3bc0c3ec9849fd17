"""New lending: cash draws and checkout installment loans.

A draw checks the line (frozen, closed, available amount: ``customers.store.reserve``), the
purpose (prohibited purposes are refused with the reason) and the payee; a checkout loan pays
the merchant, never the borrower. The loan is priced from the product's term tiers (the line's
priced daily rate may lower them), quoted with its APR and refused over the 24% cap, opened, and
its disbursement posted to the ledger, all in the caller's unit of work. The line's limit is
reserved and the loan numbered through ``customers.store``, which owns lines and customers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sqlalchemy import Connection

from lendcore.caps import load_caps
from lendcore.clock import business_date
from lendcore.customers import store as customers
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.ids import loan_id as make_loan_id
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry, Reason, credit, debit
from lendcore.ledger.store import post_many
from lendcore.money import format_yuan
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
from lendcore.servicing.posting import post_delta
from lendcore.servicing.results import LoanSummary, OpenedLoan, summary_of
from lendcore.store.uow import UnitOfWork

PAYEE_KINDS = ("ecosystem", "partner_merchant")
CHECKOUT_PRODUCT = "checkout-installment"
# Rates are stored in parts per billion. The penalty rate is rounded *down* to it, so a rate
# capped at 24% can never round above the cap.
_PPB = Decimal("1e-9")


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
class Item:
    """One line of a merchant order (what was bought; the loan pays the order's amount)."""

    name: str
    category: str
    quantity: int
    unit_price_fen: int


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    customer_id: int
    order_id: str
    merchant_id: str
    amount_fen: int
    installments: int
    items: tuple[Item, ...] = ()
    method: str = "flat-fee"
    interest_free: bool = False  # 贴息: the merchant pays the fee


def draw(uow: UnitOfWork, req: DrawRequest) -> OpenedLoan:
    """A cash draw on a credit line: purpose and payee checked, limit reserved, money out."""
    line = customers.get_line(uow.conn, req.line_id, for_update=True)
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
    customers.reserve(uow.conn, line, req.amount_fen)
    daily = None if line.daily_rate_ppb is None else Decimal(line.daily_rate_ppb) / PPB
    extra = {"kind": "draw", "credit_line_id": line.id, "purpose": req.purpose.strip().lower(),
             "payee": f"{req.payee_kind}:{req.payee.strip()}"}
    loan = _open(uow, product, line.customer_id, req.amount_fen, req.installments, req.method,
                 daily, extra, checkout=False, prepayment_mode=req.prepayment_mode)
    return OpenedLoan(loan)


def checkout(uow: UnitOfWork, req: CheckoutRequest) -> OpenedLoan:
    """An installment loan for a merchant order: the merchant is paid, never the borrower."""
    found = customers.find_line(uow.conn, req.customer_id, CHECKOUT_PRODUCT)
    if found is None:
        raise RuleViolation("the customer has no checkout-installment credit line",
                            field="customer_id", code="no_credit_line")
    line = customers.get_line(uow.conn, found.id, for_update=True)
    if not req.order_id.strip() or not req.merchant_id.strip():
        raise InvalidInput("an order id and a merchant id are required", field="order_id")
    product = get_product(CHECKOUT_PRODUCT)
    customers.reserve(uow.conn, line, req.amount_fen)
    extra = {"kind": "checkout", "credit_line_id": line.id, "merchant_id": req.merchant_id,
             "order_id": req.order_id, "payee": f"merchant:{req.merchant_id}",
             "purpose": "goods"}
    loan = _open(uow, product, req.customer_id, req.amount_fen, req.installments, req.method,
                 None, extra, checkout=True, interest_free=req.interest_free)
    if not req.interest_free:
        return OpenedLoan(loan)
    subsidy = _post_subsidy(uow.conn, product, loan.loan_id, req.amount_fen, req.installments)
    return OpenedLoan(loan, merchant_subsidy_fen=subsidy)


def _post_subsidy(conn: Connection, product: Product, loan_id: int, amount_fen: int,
                  installments: int) -> int:
    """贴息: the merchant pays the fee the borrower does not (netted from what it is paid)."""
    bd = business_date(conn)
    subsidy = interest_free_plan(product, amount_fen, installments, bd).merchant_subsidy_fen
    if subsidy > 0:
        post_many(conn, [Entry(Reason.MERCHANT_SUBSIDY, bd,
                               (debit(Account.MERCHANT_PAYABLE, subsidy),
                                credit(Account.FEE_INCOME, subsidy)),
                               loan_id, product.code, f"loan:{loan_id}:subsidy")])
    return subsidy


def _open(uow: UnitOfWork, product: Product, customer_id: int, amount_fen: int,
          installments: int, method_text: str, daily: Decimal | None, extra: dict[str, Any],
          *, checkout: bool, interest_free: bool = False,
          prepayment_mode: str = "shorten") -> LoanSummary:
    conn = uow.conn
    bd = business_date(conn)
    terms, apr = _loan_terms(product, customer_id, amount_fen, installments, method_text, daily,
                             bd, interest_free, prepayment_mode)
    number = customers.take_loan_number(conn, customer_id)
    terms = replace(terms, loan_id=make_loan_id(customer_id, number))
    state = open_loan(terms)
    repo.insert(conn, state, {**extra, "customer_id": customer_id,
                              "product_code": product.code,
                              "apr_nominal_ppb": rate_to_ppb(disclosed_rate(apr))}, bd)
    repo.append_event(uow.batch, terms.loan_id, "disbursement", bd, amount_fen, {},
                      booked_on=bd)
    post_delta(uow.batch, state.totals, terms.loan_id, product.code, bd, checkout,
               f"loan:{terms.loan_id}:open")
    uow.batch.run()  # the summary below reads what was just written
    return summary_of(repo.load_row(conn, terms.loan_id))


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


