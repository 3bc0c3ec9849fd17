"""The simulation loop: one business day at a time, on the real services, then the nightly run.

A day: today's applicants apply and the approved buy or draw; customers due a new purchase make
it; collections work the open cases (contacts through the guard, outsourcing notices, agency
assignments); borrowers make today's moves (pay, pay late, pay off, return goods, sign a plan,
pay after the charge-off); the nightly run closes the day and ages the book; the tracker reads
the book. The first business date is the fixed ``START`` and every random draw comes from one
``random.Random(seed)``, so the same seed gives the same book, to the fen.

Timeline: customers join from day 1 (about 40% within two weeks), so a loan whose borrower never
pays reaches 180 days past due (charge-off, then M7) after about 211 days; the default 240 days
leave time for recoveries after charge-offs.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from lendcore.clock import business_date, init_business_date
from lendcore.errors import InvalidInput
from lendcore.ids import customer_of
from lendcore.ledger.store import audit
from lendcore.store.core_tables import customers
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo import collect
from lendcore_tools.demo.actions import World, act, add_merchants, apply, purchase, sign_plan
from lendcore_tools.demo.behaviour import Move, todays_move
from lendcore_tools.demo.metrics import Tracker, observe
from lendcore_tools.demo.nightly import nightly_for
from lendcore_tools.demo.population import Person, make_population

START = date(2025, 6, 2)  # a Monday after the 2025-05-20 LPR change, so one caps row applies
ONE_DAY = timedelta(days=1)
REPEAT_DAYS = (40, 120)  # days between a customer's purchases

Progress = Callable[[int, int, int], None]  # (days done, customers, live loans)


@dataclass(frozen=True, slots=True)
class DemoConfig:
    customers: int
    days: int
    seed: int
    url: str


@dataclass
class DemoResult:
    config: DemoConfig
    world: World
    tracker: Tracker
    people: list[Person]
    real_nightly: bool
    audit_problems: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    nightly_seconds: float = 0.0


def run_demo(cfg: DemoConfig, progress: Progress | None = None) -> DemoResult:
    engine = make_engine(cfg.url)
    try:
        upgrade(engine)
        _start_book(engine)
        rng = random.Random(cfg.seed)
        people = make_population(rng, cfg.customers, days=cfg.days, start=START)
        world = World(engine, rng, START)
        result = DemoResult(cfg, world, Tracker(), people, nightly_for(engine, cfg.url).real)
        _run_days(cfg, result, progress)
        with UnitOfWork(engine, read_only=True) as uow:
            result.audit_problems = audit(uow.conn)
        return result
    finally:
        engine.dispose()


def _start_book(engine: Any) -> None:
    with UnitOfWork(engine) as uow:
        if uow.conn.execute(select(func.count()).select_from(customers)).scalar():
            raise InvalidInput("the demo needs an empty database (it found customers); give a "
                               "fresh --database or leave it out", field="database")
        init_business_date(uow.conn, START)
        uow.commit()


def _run_days(cfg: DemoConfig, result: DemoResult, progress: Progress | None) -> None:
    world, tracker = result.world, result.tracker
    nightly = nightly_for(world.engine, cfg.url)
    joining: dict[int, list[Person]] = {}
    for person in result.people:
        joining.setdefault(person.join_day, []).append(person)
    next_buy: dict[int, int] = {}
    collect.add_agencies(world, START)
    add_merchants(world, START)
    started = time.perf_counter()
    for day in range(cfg.days):
        bd = START + timedelta(days=day)
        _purchases(world, joining.get(day, []), next_buy, bd, day)
        cases = collect.open_cases(world)
        collect.work_cases(world, cases, bd)
        _moves(world, tracker, {c.customer_id: c.case_id for c in cases}, bd)
        before = time.perf_counter()
        nightly.close(bd)
        result.nightly_seconds += time.perf_counter() - before
        with UnitOfWork(world.engine, read_only=True) as uow:
            observe(tracker, uow.conn, day, bd)
            assert business_date(uow.conn) == bd + ONE_DAY
        if progress is not None:
            progress(day + 1, len(world.customers), len(tracker.views))
    result.seconds = time.perf_counter() - started


def _purchases(world: World, joining: list[Person], next_buy: dict[int, int], bd: date,
               day: int) -> None:
    for person in joining:
        customer_id = apply(world, person, bd, day)
        if customer_id is not None:
            next_buy[customer_id] = day
    for customer_id in sorted(c for c, when in next_buy.items() if when == day):
        purchase(world, customer_id, bd, day)
        next_buy[customer_id] = day + world.rng.randint(*REPEAT_DAYS)


def _moves(world: World, tracker: Tracker, case_of: dict[int, int], bd: date) -> None:
    for loan_id, view in sorted(tracker.views.items()):
        life = world.lives.get(loan_id)
        if life is None:
            continue
        move = todays_move(life, view, bd)
        if move is Move.SIGN_PLAN:
            case_id = case_of.get(customer_of(loan_id))
            if case_id is not None:
                sign_plan(world, life, case_id, bd)
        elif move is not Move.NONE:
            act(world, life, move, bd)
