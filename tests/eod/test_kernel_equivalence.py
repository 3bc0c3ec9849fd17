"""The columnar kernel gives, to the fen, what ``close_day`` gives loan by loan.

Thousands of random loans of every method (pay-any-time included), random payment histories
(late, partial, stopped, prepaid, restructured) walked like ``replay``, then many days closed by
both; payments keep arriving during those days (the row is then re-read, as from the table).
"""

from __future__ import annotations

import random
from dataclasses import fields
from datetime import date, timedelta

import numpy as np

from lendcore.eod.convert import book_of, epoch_day, installment_rows_of
from lendcore.eod.facts import day_facts
from lendcore.eod.histories import random_behaviour, random_terms, step, walk
from lendcore.eod.kernel import CLOSED, Book, close_day_columns
from lendcore.servicing.accrual import close_day
from lendcore.servicing.replay import replay

BUSINESS_DATE = date(2025, 3, 1)
DAYS = 45


def _portfolio(rng: random.Random, n: int):
    loans = []
    for k in range(n):
        start = BUSINESS_DATE - timedelta(days=rng.randrange(1, 500))
        terms = random_terms(rng, 1_000_000 * (k + 1) + 1, start)
        how = random_behaviour(rng, start, BUSINESS_DATE + timedelta(days=DAYS))
        state, events = walk(rng, terms, BUSINESS_DATE, how)
        loans.append((terms, how, state, events))
    return loans


def _compare(got: Book, want: Book, day: date) -> None:
    live = want.status != CLOSED
    for f in fields(Book):
        a, b = getattr(got, f.name), getattr(want, f.name)
        mask = live if f.name in ("bucket", "risk_class", "next_due_date") else np.ones_like(live)
        bad = np.nonzero((a != b) & mask)[0]
        assert bad.size == 0, f"{day} {f.name}: rows {bad[:5]} kernel {a[bad[:5]]} ref {b[bad[:5]]}"


def test_walked_history_is_what_replay_gives() -> None:
    rng = random.Random(7)
    for terms, _how, state, events in _portfolio(rng, 40):
        again = replay(terms, events, BUSINESS_DATE)
        assert again == state


def test_kernel_equals_close_day_on_random_loans_over_many_days() -> None:
    rng = random.Random(20250301)
    loans = _portfolio(rng, 1500)
    states = [s for _t, _h, s, _e in loans]
    book = book_of(states)
    day = BUSINESS_DATE
    totals = {"interest": 0, "penalty": 0, "charged": 0, "overdue": 0, "billed": 0}
    for _ in range(DAYS):
        rows = installment_rows_of(states, day)
        facts = day_facts(len(states), epoch_day(day), rows)
        book, out = close_day_columns(book, facts, epoch_day(day))
        results = [close_day(s, day) for s in states]
        assert out.interest_fen.tolist() == [r.interest_fen for r in results]
        assert out.penalty_fen.tolist() == [r.penalty_fen for r in results]
        assert out.fee_billed_fen.tolist() == [r.fee_billed_fen for r in results]
        assert out.charged_off.tolist() == [r.charged_off for r in results]
        assert out.became_overdue.tolist() == [r.became_overdue for r in results]
        _check_billed_interest(states, out.billed_interest_fen, day)
        _compare(book, book_of(states), day)
        totals["interest"] += int(out.interest_fen.sum())
        totals["penalty"] += int(out.penalty_fen.sum())
        totals["charged"] += int(out.charged_off.sum())
        totals["overdue"] += int(out.became_overdue.sum())
        totals["billed"] += int((out.billed_interest_fen >= 0).sum())
        day += timedelta(days=1)
        book = _pay_some(rng, loans, states, book, day)
    assert all(v > 0 for v in totals.values()), totals


def _check_billed_interest(states, billed, day: date) -> None:
    tomorrow = day + timedelta(days=1)
    for k in np.nonzero(billed >= 0)[0]:
        inst = next(i for i in states[k].installments
                    if i.status == "open" and i.due_date == tomorrow)
        assert inst.interest_fen == billed[k]


def _pay_some(rng, loans, states, book: Book, day: date) -> Book:
    """Borrowers pay during the day; the run then sees the rows the service wrote."""
    touched = []
    for k, (_t, how, state, events) in enumerate(loans):
        before = len(events)
        step(rng, state, day, how, events)
        if len(events) != before:
            touched.append(k)
    if not touched:
        return book
    fresh = book_of([states[k] for k in touched])
    cols = {}
    for f in fields(Book):
        col = getattr(book, f.name).copy()
        col[touched] = getattr(fresh, f.name)
        cols[f.name] = col
    return Book(**cols)
