"""The demo's commands: each one the command object the API and the CLI build, run through
``runner.execute`` (one transaction, an idempotency key), its business refusals counted instead
of stopping the run.

``World`` is the simulation's memory of who is who (person -> customer, loans -> behaviour plan)
and its counters; every money movement itself is only in the database, done by the services.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Engine, select

from lendcore.clock import LENDER_ZONE, business_date
from lendcore.customers import store as customers_store
from lendcore.errors import LendcoreError
from lendcore.merchants.operations import AddMerchant
from lendcore.money import parse_yuan
from lendcore.origination.operations import Decide, RecordReviewOutcome, RequestReview
from lendcore.runner import Command, Context, execute, query
from lendcore.servicing import queries
from lendcore.servicing.operations import Checkout, Draw, Item, RefundGoods, Repay
from lendcore.store.origination_tables import decisions
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo.behaviour import LoanLife, Move, plan_loan
from lendcore_tools.demo.population import Person, application_for

GOODS = (("phone", 1_999_00, 6_999_00), ("laptop", 3_999_00, 9_999_00),
         ("appliance", 800_00, 4_500_00), ("furniture", 1_200_00, 6_000_00),
         ("clothing", 300_00, 1_500_00))
MERCHANTS = ("mi-mall", "partner-jd-electronics", "partner-home-living", "partner-fashion")
# The merchant registry the demo starts with (``add_merchants``): every loan pays one of them.
REGISTRY = {"mi-mall": ("小米商城", "electronics"),
            "partner-jd-electronics": ("京东数码", "electronics"),
            "partner-home-living": ("居然之家", "furniture"),
            "partner-fashion": ("唯品会", "clothing")}
DRAW_PAYEE = "mi-mall"  # a draw pays a registered merchant on the borrower's behalf (受托支付)
PURPOSES = ("travel", "education", "home_renovation", "medical", "wedding", "appliances")
CHECKOUT = "checkout-installment"  # its line is granted by a credit decision
DRAW_METHODS = ("equal-installment", "equal-installment", "equal-principal", "pay-any-time",
                "interest-first")


@dataclass
class Decided:
    day: int
    score: int | None
    outcome: str
    reasons: tuple[str, ...]
    person: int
    review: str | None = None  # a referral's outcome after human review


@dataclass
class World:
    engine: Engine
    rng: random.Random
    start: date
    customers: dict[int, Person] = field(default_factory=dict)  # customer id -> person
    lines: dict[int, int] = field(default_factory=dict)  # customer id -> cash line id
    limits: dict[int, int] = field(default_factory=dict)  # customer id -> approved limit fen
    lives: dict[int, LoanLife] = field(default_factory=dict)
    decisions: list[Decided] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)

    def run(self, command: Command, key: str, on: date) -> Any:
        """Run one command as the API and the CLI do (``runner.execute``), at 10:00 lender's
        time on the simulated day ``on``; a business refusal is counted and returns None."""
        ctx = Context(now=datetime.combine(on, time(10, 0), LENDER_ZONE), actor="demo")
        try:
            return execute(self.engine, command, ctx=ctx, key=key)
        except LendcoreError as exc:
            self.refused[f"{command.name}: {exc.code}"] += 1
            return None


def add_merchants(world: World, bd: date) -> None:
    """Register the demo's merchants (the same command as ``lendcore merchants add``)."""
    for merchant_id in MERCHANTS:
        name, category = REGISTRY[merchant_id]
        world.run(AddMerchant(merchant_id, name, category), f"demo:merchant:{merchant_id}", bd)


def apply(world: World, person: Person, bd: date, day: int) -> int | None:
    """Apply, be decided; a referral is reviewed by a person. Returns the customer id."""
    result = world.run(Decide(application_for(person)), f"demo:apply:{person.index}", bd)
    if result is None:
        return None
    reasons = tuple(r["code"] for r in result["reasons"])
    world.decisions.append(Decided(day, result["score"], result["decision"], reasons,
                                   person.index))
    world.counts[f"decision {result['decision']}"] += 1
    if result["decision"] == "refer":
        return _review(world, person, result, bd)
    if result["decision"] != "approve":
        return None
    return _open_lines(world, person, int(result["customer_id"]), parse_yuan(result["limit"]),
                       bd)


def _review(world: World, person: Person, decided: dict[str, Any], bd: date) -> int | None:
    """PIPL Art. 24: a person reviews the automated referral (here: half are approved)."""
    decision_id = int(decided["decision_id"])
    outcome = _reviewed(world, person, decision_id, bd)
    if outcome is None:
        return None
    world.decisions[-1].review = outcome
    if outcome != "approve":
        return None
    with UnitOfWork(world.engine, read_only=True) as uow:
        customer_id = uow.conn.execute(select(decisions.c.customer_id).where(
            decisions.c.id == decision_id)).scalar_one()
    return _open_lines(world, person, int(customer_id), parse_yuan(decided["limit"]), bd)


def _reviewed(world: World, person: Person, decision_id: int, bd: date) -> str | None:
    """A person reviews a referral: the outcome recorded (None: refused)."""
    outcome = "approve" if person.quality >= 0.5 else "decline"
    opened = world.run(RequestReview(decision_id, "near the cut-off"),
                       f"demo:review:{decision_id}", bd)
    if opened is None or world.run(RecordReviewOutcome(
            int(opened["review_id"]), outcome, "reviewer-03",
            "income and ecosystem record checked by hand"),
            f"demo:review-outcome:{decision_id}", bd) is None:
        return None
    world.counts[f"review {outcome}"] += 1
    return outcome


def _open_lines(world: World, person: Person, customer_id: int, limit_fen: int,
                bd: date) -> int | None:
    """The decision opened the cash line; the checkout line is granted by a decision of its
    own, on the same person's application for the checkout product (a customer who has one
    keeps it: a line is opened once, its limit changes only by a limit change)."""
    has_line = query(world.engine, customers_store.find_line, customer_id,
                     CHECKOUT) is not None
    if not has_line and not _apply_for_checkout_line(world, person, bd):
        return None
    cash = query(world.engine, customers_store.find_line, customer_id, "cash-line")
    world.customers[customer_id] = person
    world.lines[customer_id] = int(cash.id)
    world.limits[customer_id] = limit_fen
    return customer_id


def _apply_for_checkout_line(world: World, person: Person, bd: date) -> bool:
    """Apply for the checkout line (the checkout product's own terms); a referral is reviewed
    as the cash line's is. True when the decision (or its review) opened the line."""
    application = replace(application_for(person), product=CHECKOUT)
    result = world.run(Decide(application), f"demo:apply-checkout:{person.index}", bd)
    if result is None:
        return False
    world.counts[f"checkout line {result['decision']}"] += 1
    if result["decision"] == "refer":
        return _reviewed(world, person, int(result["decision_id"]), bd) == "approve"
    return bool(result["decision"] == "approve")


def purchase(world: World, customer_id: int, bd: date, seq: int) -> None:
    """A checkout on installments (most purchases) or a cash draw."""
    rng, person = world.rng, world.customers[customer_id]
    limit = world.limits[customer_id]
    if rng.random() < 0.6:
        name, low, high = rng.choice(GOODS)
        amount = min(rng.randint(low // 100, high // 100) * 100, limit // 2 // 100 * 100)
        installments = rng.choice((3, 6, 12, 12, 24))
        price = max(amount, 100_00)
        order = Checkout(
            customer_id, f"order-{customer_id}-{seq}", rng.choice(MERCHANTS), price,
            installments, (Item(name, name, 1, price),),
            method="equal-installment" if installments == 24 else "flat-fee",
            interest_free=installments == 3 and rng.random() < 0.3)
        result = world.run(order, f"demo:checkout:{customer_id}:{seq}", bd)
        kind = "checkout"
    else:
        amount = max(rng.randint(5, max(limit // 100_00 * 6 // 10, 5)) * 100_00, 500_00)
        installments = rng.choice((1, 3, 6, 6, 12, 12))
        method = rng.choice(DRAW_METHODS)
        draw = Draw(world.lines[customer_id], amount, installments, rng.choice(PURPOSES),
                    DRAW_PAYEE, method, "merchant")
        result = world.run(draw, f"demo:draw:{customer_id}:{seq}", bd)
        kind = "draw"
    if result is not None:
        loan_id = int(result["loan_id"])
        world.lives[loan_id] = plan_loan(rng, loan_id, person.persona, kind, bd, installments)
        world.counts[kind] += 1


def act(world: World, life: LoanLife, move: Move, bd: date) -> None:
    loan_id, key = life.loan_id, f"{life.loan_id}:{bd.isoformat()}"
    if move is Move.PAY_DUE:
        _pay(world, "repay", key, loan_id, bd, lambda st: st.due_now_fen)
    elif move is Move.PAY_OFF:
        if _pay(world, "prepay", key, loan_id, bd, None):
            life.prepay_day = None
    elif move is Move.RECOVER:
        if _recover(world, life, bd):
            life.recovered = True
    elif move is Move.REFUND:
        life.refunded = _refund(world, life, bd)


def _read(world: World, fn: Any, *args: Any) -> Any:
    """A read the next command rests on; a refusal is counted and returns None."""
    try:
        return query(world.engine, fn, *args)
    except LendcoreError as exc:
        world.refused[f"read: {exc.code}"] += 1
        return None


def _payoff_today(conn: Any, loan_id: int) -> int:
    return queries.payoff_quote(conn, loan_id, business_date(conn)).total_fen


def _pay(world: World, name: str, key: str, loan_id: int, bd: date, amount_of: Any) -> bool:
    """Pay what the statement says is due (``amount_of`` of it), or the payoff (None)."""
    if amount_of is None:
        amount = _read(world, _payoff_today, loan_id)
    else:
        statement = _read(world, queries.statement, loan_id)
        amount = None if statement is None else amount_of(statement)
    if amount is None or amount <= 0:
        return False
    paid = world.run(Repay(loan_id, amount), f"demo:{name}:{key}", bd) is not None
    if paid:
        world.counts["prepayment" if name == "prepay" else "repayment"] += 1
    return paid


def _recover(world: World, life: LoanLife, bd: date) -> bool:
    quote = _read(world, queries.payoff_quote, life.loan_id, bd)
    if quote is None:
        return False
    amount = quote.total_fen * life.recover_percent // 100
    done = world.run(Repay(life.loan_id, amount), f"demo:recover:{life.loan_id}",
                     bd) is not None
    world.counts["recovery payment"] += int(done)
    return done


def _refund(world: World, life: LoanLife, bd: date) -> bool:
    loan = _read(world, queries.loan_summary, life.loan_id)
    if loan is not None:
        amount = loan.principal_outstanding_fen * life.refund_percent // 100
        done = world.run(RefundGoods(life.loan_id, amount), f"demo:refund:{life.loan_id}",
                         bd) is not None
        world.counts["refund"] += int(done)
    return True


def sign_plan(world: World, life: LoanLife, case_id: int, bd: date) -> None:
    """Hardship: a collector offers a 12-installment plan waiving the penalty; it is signed.

    The same commands the API and the CLI build (``collections.operations``), on the business
    date the server holds (``bd``)."""
    from lendcore.collections.operations import OfferPlan, SignPlan
    from lendcore.runner import query
    from lendcore.store.servicing_tables import loans
    from lendcore_tools.demo.collect import run_collections

    penalty = int(query(world.engine, lambda conn: conn.execute(
        select(loans.c.penalty_receivable_fen).where(loans.c.id == life.loan_id)).scalar_one()))
    waiver: dict[str, Any] = ({"waive_penalty_fen": penalty,
                               "waiver_reason": "job loss, income proof seen"}
                              if penalty else {})
    offered = run_collections(world, OfferPlan(case_id, life.loan_id, 12, **waiver),
                              f"demo:plan-offer:{life.loan_id}", bd, actor="collector-07")
    signed = offered is not None and run_collections(
        world, SignPlan(int(offered["plan_id"]), "borrower (e-signature)"),
        f"demo:plan:{life.loan_id}", bd, actor="supervisor-02") is not None
    if signed:
        life.in_plan = True
        world.counts["negotiated plan"] += 1
    else:
        life.plan_dpd = None  # refused: the borrower goes on as a defaulter
