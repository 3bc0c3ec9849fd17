"""The demo's commands: each one a real service call through ``run_command`` (one transaction,
an idempotency key), its business refusals counted instead of stopping the run.

``World`` is the simulation's memory of who is who (person -> customer, loans -> behaviour plan)
and its counters; every money movement itself is only in the database, done by the services.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, select

from lendcore.collections.plans import Waiver
from lendcore.demo.behaviour import LoanLife, Move, plan_loan
from lendcore.demo.population import Person, application_for
from lendcore.errors import LendcoreError
from lendcore.money import parse_yuan
from lendcore.origination import service as origination
from lendcore.servicing import queries, service
from lendcore.servicing.runner import business_date, run_command
from lendcore.store.core_tables import credit_lines
from lendcore.store.origination_tables import decisions
from lendcore.store.uow import UnitOfWork

GOODS = (("phone", 1_999_00, 6_999_00), ("laptop", 3_999_00, 9_999_00),
         ("appliance", 800_00, 4_500_00), ("furniture", 1_200_00, 6_000_00),
         ("clothing", 300_00, 1_500_00))
MERCHANTS = ("mi-mall", "partner-jd-electronics", "partner-home-living", "partner-fashion")
PURPOSES = ("travel", "education", "home renovation", "medical", "wedding", "appliances")
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

    def command(self, name: str, key: str, payload: dict[str, Any], fn: Any) -> Any:
        """Run one service command; a business refusal is counted and returns None."""
        try:
            return run_command(self.engine, name, key, payload, fn)
        except LendcoreError as exc:
            self.refused[f"{name}: {exc.code}"] += 1
            return None


def apply(world: World, person: Person, bd: date, day: int) -> int | None:
    """Apply, be decided; a referral is reviewed by a person. Returns the customer id."""
    app = application_for(person, bd)

    def decide(uow: Any) -> dict[str, Any]:
        d = origination.decide_application(uow, app)
        return {**d.as_dict(), "customer_id": d.customer_id}

    result = world.command("apply", f"demo:apply:{person.index}", {"p": person.index}, decide)
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
    return _open_lines(world, person, int(result["customer_id"]), parse_yuan(result["limit"]))


def _review(world: World, person: Person, decided: dict[str, Any], bd: date) -> int | None:
    """PIPL Art. 24: a person reviews the automated referral (here: half are approved)."""
    outcome = "approve" if person.quality >= 0.5 else "decline"
    decision_id = int(decided["decision_id"])

    def review(uow: Any) -> dict[str, Any]:
        opened = origination.request_review(uow, decision_id, bd, "near the cut-off")
        return origination.record_outcome(
            uow, int(opened["review_id"]), outcome=outcome, reviewer="reviewer-03",
            reason="income and ecosystem record checked by hand", decided_on=bd)

    if world.command("review", f"demo:review:{decision_id}", {"d": decision_id}, review) is None:
        return None
    world.counts[f"review {outcome}"] += 1
    world.decisions[-1].review = outcome
    if outcome != "approve":
        return None
    with UnitOfWork(world.engine, read_only=True) as uow:
        customer_id = uow.conn.execute(select(decisions.c.customer_id).where(
            decisions.c.id == decision_id)).scalar_one()
    return _open_lines(world, person, int(customer_id), parse_yuan(decided["limit"]))


def _open_lines(world: World, person: Person, customer_id: int, limit_fen: int) -> int | None:
    """The decision opened the cash line; the checkout line gets the same limit."""
    limit = max(min(limit_fen, 5_000_000), 100_00)
    line = world.command(
        "open_line", f"demo:line:{customer_id}", {"c": customer_id},
        lambda uow: service.open_credit_line(uow, customer_id=customer_id,
                                             product_code="checkout-installment",
                                             limit_fen=limit))
    if line is None:
        return None
    cash = world.command("line", f"demo:cashline:{customer_id}", {"c": customer_id},
                         lambda uow: _cash_line_id(uow, customer_id))
    world.customers[customer_id] = person
    world.lines[customer_id] = int(cash["line_id"])
    world.limits[customer_id] = limit_fen
    return customer_id


def _cash_line_id(uow: Any, customer_id: int) -> dict[str, Any]:
    line_id = uow.conn.execute(select(credit_lines.c.id).where(
        credit_lines.c.customer_id == customer_id,
        credit_lines.c.product_code == "cash-line")).scalar_one()
    return {"line_id": int(line_id)}


def purchase(world: World, customer_id: int, bd: date, seq: int) -> None:
    """A checkout on installments (most purchases) or a cash draw."""
    rng, person = world.rng, world.customers[customer_id]
    limit = world.limits[customer_id]
    if rng.random() < 0.6:
        name, low, high = rng.choice(GOODS)
        amount = min(rng.randint(low // 100, high // 100) * 100, limit // 2 // 100 * 100)
        installments = rng.choice((3, 6, 12, 12, 24))
        req = service.CheckoutRequest(
            customer_id, f"order-{customer_id}-{seq}", rng.choice(MERCHANTS), max(amount, 100_00),
            installments, ({"sku": name, "qty": 1},),
            method="equal-installment" if installments == 24 else "flat-fee",
            interest_free=installments == 3 and rng.random() < 0.3)
        result = world.command("checkout", f"demo:checkout:{customer_id}:{seq}",
                               {"o": req.order_id}, lambda uow: service.checkout(uow, req))
        kind = "checkout"
    else:
        amount = max(rng.randint(5, max(limit // 100_00 * 6 // 10, 5)) * 100_00, 500_00)
        installments = rng.choice((1, 3, 6, 6, 12, 12))
        method = rng.choice(DRAW_METHODS)
        draw = service.DrawRequest(world.lines[customer_id], amount, installments, method,
                                   rng.choice(PURPOSES), "mi-mall", "ecosystem")
        result = world.command("draw", f"demo:draw:{customer_id}:{seq}", {"s": seq},
                               lambda uow: service.draw(uow, draw))
        kind = "draw"
    if result is not None:
        loan_id = int(result["loan_id"])
        world.lives[loan_id] = plan_loan(rng, loan_id, person.persona, kind, bd, installments)
        world.counts[kind] += 1


def act(world: World, life: LoanLife, move: Move, bd: date) -> None:
    loan_id, key = life.loan_id, f"{life.loan_id}:{bd.isoformat()}"
    if move is Move.PAY_DUE:
        _pay(world, "repay", key, loan_id, lambda st: parse_yuan(st["due_now"], allow_zero=True)
             + parse_yuan(st["overdue"], allow_zero=True))
    elif move is Move.PAY_OFF:
        if _pay(world, "prepay", key, loan_id, None):
            life.prepay_day = None
    elif move is Move.RECOVER:
        if _recover(world, life, bd):
            life.recovered = True
    elif move is Move.REFUND:
        life.refunded = _refund(world, life, bd)


def _pay(world: World, name: str, key: str, loan_id: int, amount_of: Any) -> bool:
    def pay(uow: Any) -> dict[str, Any]:
        bd = business_date(uow.conn)
        if amount_of is None:
            amount = parse_yuan(queries.payoff_quote(uow.conn, loan_id, bd)["total"],
                                allow_zero=True)
        else:
            amount = amount_of(queries.statement(uow.conn, loan_id))
        if amount <= 0:
            return {"paid": "0.00"}
        return service.repay(uow, loan_id, amount, None, f"demo:{name}:{key}")

    result = world.command(name, f"demo:{name}:{key}", {"loan": loan_id}, pay)
    paid = result is not None and result.get("paid") != "0.00"
    if paid:
        world.counts["prepayment" if name == "prepay" else "repayment"] += 1
    return paid


def _recover(world: World, life: LoanLife, bd: date) -> bool:
    def pay(uow: Any) -> dict[str, Any]:
        owed = parse_yuan(queries.payoff_quote(uow.conn, life.loan_id, bd)["total"],
                          allow_zero=True)
        amount = owed * life.recover_percent // 100
        return service.repay(uow, life.loan_id, amount, None, f"demo:recover:{life.loan_id}")

    done = world.command("recover", f"demo:recover:{life.loan_id}", {"loan": life.loan_id},
                         pay) is not None
    world.counts["recovery payment"] += int(done)
    return done


def _refund(world: World, life: LoanLife, bd: date) -> bool:
    def refund(uow: Any) -> dict[str, Any]:
        principal = parse_yuan(queries.loan_summary(uow.conn, life.loan_id)["balances"]
                               ["principal"], allow_zero=True)
        amount = principal * life.refund_percent // 100
        return service.refund_goods(uow, life.loan_id, amount, f"demo:refund:{life.loan_id}")

    done = world.command("refund", f"demo:refund:{life.loan_id}", {"loan": life.loan_id},
                         refund) is not None
    world.counts["refund"] += int(done)
    return True


def sign_plan(world: World, life: LoanLife, case_id: int, bd: date) -> None:
    """Hardship: a collector offers a 12-installment plan waiving the penalty; it is signed."""
    from lendcore.collections import service as collections

    def negotiate(uow: Any) -> dict[str, Any]:
        penalty = parse_yuan(queries.loan_summary(uow.conn, life.loan_id)["balances"]
                             ["penalty"], allow_zero=True)
        waiver = Waiver(penalty_fen=penalty, approved_by="supervisor-02",
                        reason="job loss, income proof seen") if penalty else None
        plan_id, _ = collections.offer_plan(uow, case_id, life.loan_id, installments=12,
                                            offered_on=bd, proposed_by="collector-07",
                                            waiver=waiver)
        collections.sign_plan(uow, plan_id, signed_on=bd, signed_by="borrower (e-signature)",
                              apply_restructure=service.apply_plan)
        return {"plan_id": plan_id}

    if world.command("sign_plan", f"demo:plan:{life.loan_id}", {"l": life.loan_id},
                     negotiate) is not None:
        life.in_plan = True
        world.counts["negotiated plan"] += 1
    else:
        life.plan_dpd = None  # refused: the borrower goes on as a defaulter
