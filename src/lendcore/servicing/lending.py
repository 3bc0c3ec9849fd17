"""New lending: cash draws and checkout installment loans.

A draw checks the line (frozen, closed, available amount: ``customers.store.reserve``), the
purpose (a code of the closed consumption list), the payee (a registered, active merchant), the
product's minimum draw and the borrower's standing (nobody past grace borrows again): see
``servicing.admission``. A checkout loan pays the merchant, never the borrower; it is bound to
its order, one loan per (merchant, order), and keeps the order's items (``servicing.orders``).
An interest-free (贴息) checkout books the merchant's subsidy as fee income; refunded goods give
the merchant back the subsidy of the refunded part (:func:`return_subsidy`).

The loan is priced from the product's term tiers (the line's priced daily rate may lower them),
quoted with its APR and refused over the 24% cap, opened, and its disbursement posted to the
ledger, all in the caller's unit of work. The line's limit is reserved and the loan numbered
through ``customers.store``, which owns lines and customers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from lendcore.caps import load_caps
from lendcore.clock import business_date
from lendcore.customers import store as customers
from lendcore.errors import InvalidInput, RuleViolation
from lendcore.ids import loan_id as make_loan_id
from lendcore.ledger.accounts import Account
from lendcore.ledger.journal import Entry, Reason, credit, debit
from lendcore.ledger.store import loan_entries, post_fresh, post_many
from lendcore.merchants import service as merchants
from lendcore.merchants.model import CATEGORY_PATTERN, CATEGORY_RULE
from lendcore.money import Rounding, format_yuan, to_fen
from lendcore.products.catalogue import get_product
from lendcore.products.model import Product, ProductKind, RepaymentMethod
from lendcore.products.pricing import (
    contract_rate,
    interest_free_plan,
    penalty_rate,
    schedule_terms,
)
from lendcore.rates import PPB, rate_to_ppb
from lendcore.schedules.apr import disclosed_rate
from lendcore.schedules.quote import quote
from lendcore.servicing import admission, orders
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
from lendcore.store.servicing_tables import CONTRACT_VERSION
from lendcore.store.uow import UnitOfWork

PAYEE_KINDS = admission.PAYEE_KINDS
CHECKOUT_PRODUCT = "checkout-installment"
MAX_ITEMS = 100
MAX_QUANTITY = 999


# -- new loans ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DrawRequest:
    line_id: int
    amount_fen: int
    installments: int
    method: str
    purpose: str  # a code of the product's consumption purposes (admission.check_purpose)
    payee: str  # a registered merchant's id
    payee_kind: str  # merchant (own_account: refused until bank cards are bound)
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
    items: tuple[Item, ...] = ()  # at least one; quantity x unit price sums to amount_fen
    method: str = "flat-fee"
    interest_free: bool = False  # 贴息: the merchant pays the fee


def draw(uow: UnitOfWork, req: DrawRequest) -> OpenedLoan:
    """A cash draw on a credit line: purpose, payee, size and the borrower's standing checked
    (``admission``), limit reserved, the merchant paid."""
    conn = uow.conn
    line = customers.get_line(conn, req.line_id, for_update=True)
    product = get_product(line.product_code)
    if product.kind is not ProductKind.CASH_LINE:
        raise InvalidInput(f"line {line.id} is a {product.code} line; draws need a cash line",
                           field="line_id")
    purpose = admission.check_purpose(product, req.purpose)
    payee = admission.check_payee(conn, req.payee_kind, req.payee)
    admission.check_min_draw(product, req.amount_fen)
    admission.check_in_good_standing(conn, line.customer_id, "line_id")
    customers.reserve(conn, line, req.amount_fen)
    daily = None if line.daily_rate_ppb is None else Decimal(line.daily_rate_ppb) / PPB
    extra = {"kind": "draw", "credit_line_id": line.id, "purpose": purpose, "payee": payee}
    loan = _open(uow, product, line.customer_id, req.amount_fen, req.installments, req.method,
                 daily, extra, checkout=False, prepayment_mode=req.prepayment_mode)
    return OpenedLoan(loan)


def checkout(uow: UnitOfWork, req: CheckoutRequest) -> OpenedLoan:
    """An installment loan for a merchant order: the merchant is paid, never the borrower.

    The merchant is registered and active, the items sum to the order's amount, no loan pays
    the order yet (one loan per order: ``orders``), the customer is not past grace; the order
    and its items are kept with the loan."""
    conn = uow.conn
    found = customers.find_line(conn, req.customer_id, CHECKOUT_PRODUCT)
    if found is None:
        raise RuleViolation("the customer has no checkout-installment credit line",
                            field="customer_id", code="no_credit_line")
    line = customers.get_line(conn, found.id, for_update=True)
    if not req.order_id.strip() or not req.merchant_id.strip():
        raise InvalidInput("an order id and a merchant id are required", field="order_id")
    product = get_product(CHECKOUT_PRODUCT)
    merchants.require_active(conn, req.merchant_id, field="merchant_id")
    _check_items(req.items, req.amount_fen)
    admission.check_min_draw(product, req.amount_fen)
    orders.check_new(conn, req.merchant_id, req.order_id)
    admission.check_in_good_standing(conn, req.customer_id, "customer_id")
    customers.reserve(conn, line, req.amount_fen)
    extra = {"kind": "checkout", "credit_line_id": line.id, "merchant_id": req.merchant_id,
             "order_id": req.order_id, "payee": f"merchant:{req.merchant_id}",
             "purpose": "goods"}
    loan = _open(uow, product, req.customer_id, req.amount_fen, req.installments, req.method,
                 None, extra, checkout=True, interest_free=req.interest_free)
    subsidy = (_post_subsidy(conn, product, loan.loan_id, req.amount_fen, req.installments)
               if req.interest_free else None)
    orders.insert(conn, orders.Order(
        loan.loan_id, req.merchant_id, req.order_id, req.customer_id, req.amount_fen,
        req.interest_free, subsidy or 0, business_date(conn),
        tuple((i.name, i.category, i.quantity, i.unit_price_fen) for i in req.items)))
    return OpenedLoan(loan, merchant_subsidy_fen=subsidy)


def _check_items(items: tuple[Item, ...], amount_fen: int) -> None:
    """At least one item, each well formed; quantity x unit price sums to the order amount."""
    if not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidInput(f"an order lists what was bought: 1 to {MAX_ITEMS} items (name, "
                           f"category, quantity, unit price), not {len(items)}", field="items")
    for n, item in enumerate(items):
        if not item.name.strip():
            raise InvalidInput("name what was bought", field=f"items.{n}.name")
        if not re.fullmatch(CATEGORY_PATTERN, item.category):
            raise InvalidInput(f"must be {CATEGORY_RULE}", field=f"items.{n}.category")
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise InvalidInput(f"must be 1 to {MAX_QUANTITY}", field=f"items.{n}.quantity")
        if item.unit_price_fen < 0:
            raise InvalidInput("must not be negative", field=f"items.{n}.unit_price")
    total = sum(item.quantity * item.unit_price_fen for item in items)
    if total != amount_fen:
        raise InvalidInput(f"the items come to {format_yuan(total)} CNY (quantity x unit "
                           f"price), the order's amount is {format_yuan(amount_fen)} CNY; they "
                           "must be equal", field="items")


# -- 贴息: the merchant's subsidy, and its return on refunded goods ------------------------------
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


def subsidy_share(subsidy_fen: int, principal_fen: int, refunded_fen: int,
                  rounding: Rounding) -> int:
    """The part of a subsidy that belongs to ``refunded_fen`` of the principal (cumulative),
    rounded to the fen with ``rounding`` (the loan's mode, half-up by default); all of it once
    everything is refunded. 100.01 CNY of subsidy on a 300.00 order refunded a third at a time::

        >>> [subsidy_share(10_001, 30_000, r, Rounding.HALF_UP) for r in (10_000, 20_000, 30_000)]
        [3334, 6667, 10001]

    so the refunds return 33.34, 33.33 and 33.34: together the 100.01 booked, to the fen."""
    if refunded_fen >= principal_fen:
        return subsidy_fen
    # Exact integer numerator; the 28-digit quotient never blurs a half fen (its error is
    # far below 1 / (2 x principal), the closest a non-half quotient comes to one).
    return to_fen(Decimal(subsidy_fen * refunded_fen) / Decimal(principal_fen), rounding)


def return_subsidy(uow: UnitOfWork, loan_id: int, product_code: str, principal_fen: int,
                   refunded_fen: int, rounding: Rounding, bd: date, source_key: str) -> int:
    """Refunded goods of an interest-free loan: give the merchant back the subsidy of the
    refunded part (fen returned now; 0 on a loan without a subsidy).

    What is due back is the share of everything refunded so far (:func:`subsidy_share`) less
    what earlier refunds returned, both read from the ledger, so the subsidy kept plus the
    subsidy returned is always the subsidy booked, and a full refund returns all of it. Posted
    as a ``merchant_subsidy`` entry mirroring the booking: Dr fee income / Cr merchant payable.
    """
    booked, returned = _subsidy_so_far(uow.conn, loan_id)
    due = subsidy_share(booked, principal_fen, refunded_fen, rounding) - returned if booked else 0
    if due > 0:
        post_fresh(uow.batch, [Entry(Reason.MERCHANT_SUBSIDY, bd,
                                     (debit(Account.FEE_INCOME, due),
                                      credit(Account.MERCHANT_PAYABLE, due)),
                                     loan_id, product_code, f"{source_key}:subsidy_return")])
    return max(due, 0)


def _subsidy_so_far(conn: Connection, loan_id: int) -> tuple[int, int]:
    """(booked, returned) fen of the loan's subsidy: its ``merchant_subsidy`` entries' fee
    income credits and debits."""
    booked = returned = 0
    for entry in loan_entries(conn, loan_id):
        if entry.reason != Reason.MERCHANT_SUBSIDY.value:
            continue
        for line in entry.postings:
            if line.account_code == Account.FEE_INCOME.value:
                booked += line.credit_fen
                returned += line.debit_fen
    return booked, returned


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
    lpr = load_caps().on(bd).lpr_one_year  # recorded on the contract (domain.md s3)
    repo.insert(conn, state, {**extra, "customer_id": customer_id,
                              "product_code": product.code,
                              "apr_nominal_ppb": rate_to_ppb(disclosed_rate(apr)),
                              "lpr_one_year_ppb": None if lpr is None else rate_to_ppb(lpr),
                              "contract_version": CONTRACT_VERSION},  # the documents it signs
                bd)
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
        if not product.min_draw_fen <= amount_fen <= product.principal_max_fen:
            raise InvalidInput(f"{product.code} lends {format_yuan(product.min_draw_fen)} "
                               f"to {format_yuan(product.principal_max_fen)}", field="amount")
        rate = contract_rate(product, installments, daily)
        apr = rate.annual
        annual, fee = rate.annual, Decimal(0)
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
        annual, fee = sterms.annual_rate, sterms.fee_rate_per_installment
        method_value = method.value
    # 1.5 x the contract rate (flat-fee: the fee's equivalent rate), capped: never the APR,
    # which for daily interest would move with the calendar of the start date.
    penalty = penalty_rate(product, method, installments, annual, fee, caps.hard_cap)
    terms = LoanTerms(**common, principal_fen=amount_fen, method=method_value,
                      annual_rate_ppb=rate_to_ppb(annual), fee_rate_ppb=rate_to_ppb(fee),
                      penalty_rate_ppb=rate_to_ppb(penalty))
    return terms, apr


