"""The case sync's pre-filter skips only borrowers whose outcome is "no change".

``store.borrowers_to_sync`` reads only the borrowers whose case can change tonight (a loan past
grace, an open case, a signed plan, or anything overdue with a case: ``store._to_sync``). The
reference here is the set the sync read before: every borrower with anything overdue as well.
Over a varied book (loans active, closed and charged off, current, inside grace and past it,
with and without amounts overdue; cases opened and closed on earlier nights; signed plans on a
case and early ones without) and over several nights in which the book moves, the sync writes
exactly the same cases, history rows and plan settlements with either set, partition by
partition; and a second sync of the same night writes nothing.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from collections_helpers import D1, add_customer, add_loan, open_day, set_loan
from sqlalchemy import CompoundSelect, Connection, Engine, Table, insert, select, union

from lendcore.collections import service, store
from lendcore.collections.cases import COLLECTIBLE_STATUSES
from lendcore.ids import LOANS_PER_CUSTOMER
from lendcore.store.collections_tables import (
    collection_case_history,
    collection_cases,
    collection_plans,
)
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

DPDS = (0, 0, 0, 1, 2, 3, 4, 10, 35, 95, 185)


def _former_to_sync(first: int, last: int) -> CompoundSelect[Any]:
    """The reference: the borrowers the sync read before its pre-filter."""
    lo, hi = store.loan_id_range(first, last)
    overdue = (loans.c.dpd > 0) | (loans.c.overdue_principal_fen > 0) | (
        loans.c.overdue_interest_fen > 0) | (loans.c.overdue_fee_fen > 0)
    cases = collection_cases.c
    return union(
        select(loans.c.customer_id).where(loans.c.id.between(lo, hi),
                                          loans.c.status.in_(sorted(COLLECTIBLE_STATUSES)),
                                          overdue),
        select(cases.customer_id).where(cases.customer_id.between(first, last),
                                        cases.status == "open"),
        select(loans.c.customer_id).join(collection_plans, collection_plans.c.loan_id == loans.c.id)
        .where(loans.c.id.between(lo, hi), collection_plans.c.status == "signed"),
    )


def _writes(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the sync writes, without generated ids (a rolled-back insert still uses up
    PostgreSQL's sequence): cases by customer, history rows by customer, plans."""
    c, h = collection_cases.c, collection_case_history.c
    cases = sorted(tuple(v for k, v in r._mapping.items() if k != "id")
                   for r in conn.execute(select(collection_cases)))
    history = sorted(tuple(v for k, v in r._mapping.items() if k not in ("id", "case_id"))
                     for r in conn.execute(
                         select(c.customer_id, collection_case_history)
                         .join(collection_cases, c.id == h.case_id)))
    plans = sorted(tuple(r) for r in conn.execute(
        select(collection_plans.c.id, collection_plans.c.status, collection_plans.c.broken_on)))
    return {"cases": cases, "history": history, "plans": plans}


def _plan(conn: Connection, loan_id: int, case_id: int | None) -> None:
    values: dict[str, Any] = {"loan_id": loan_id, "case_id": case_id, "status": "signed",
                              "origin": "early" if case_id is None else "collections"}
    table: Table = collection_plans
    for col in table.columns:
        if col.name in values or col.nullable or col.server_default is not None or col.primary_key:
            continue
        py = col.type.python_type
        values[col.name] = D1 if py is date else (0 if py is int else "x")
    conn.execute(insert(collection_plans).values(**values))


def _book(engine: Engine, rnd: random.Random, customers: int) -> list[int]:
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        ids = []
        for _ in range(customers):
            cid = add_customer(uow.conn)
            ids.append(cid)
            for n in range(1, rnd.choice((1, 1, 2, 3)) + 1):
                dpd = rnd.choice(DPDS)
                lid = add_loan(uow.conn, cid, n, dpd=dpd,
                               overdue_principal_fen=rnd.choice((0, 0, 50_00, 1_234_00)),
                               overdue_interest_fen=rnd.choice((0, 0, 7_00)),
                               penalty_receivable_fen=rnd.choice((0, 3_00)),
                               status=rnd.choice(("active", "active", "closed", "charged_off")),
                               grace_days=rnd.choice((0, 3, 3, 5)))
                if rnd.random() < 0.08:
                    _plan(uow.conn, lid, None)
        uow.commit()
    return ids


def _move(engine: Engine, rnd: random.Random, ids: list[int], day: date) -> None:
    """Between nights: loans move, some close; signed plans are made on some open cases."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        open_day(conn, day)
        for cid in rnd.sample(ids, len(ids) // 3):
            lid = cid * LOANS_PER_CUSTOMER + 1
            set_loan(conn, lid, dpd=rnd.choice(DPDS),
                     overdue_principal_fen=rnd.choice((0, 0, 99_00)),
                     overdue_interest_fen=0, overdue_fee_fen=0,
                     status=rnd.choice(("active", "active", "closed")))
        for case_id, customer_id in conn.execute(
                select(collection_cases.c.id, collection_cases.c.customer_id)
                .where(collection_cases.c.status == "open")).all():
            if rnd.random() < 0.1:
                _plan(conn, customer_id * LOANS_PER_CUSTOMER + 1, int(case_id))
        uow.commit()


def _night(engine: Engine, day: date, ranges: list[tuple[int, int]],
           monkeypatch: pytest.MonkeyPatch) -> int:
    """The sync with the former set, rolled back, then with the pre-filter, committed: the same
    writes; then again the same night: nothing. The number of rows the night wrote."""
    with UnitOfWork(engine) as uow:
        before = _writes(uow.conn)
        with monkeypatch.context() as patched:
            patched.setattr(store, "_to_sync", _former_to_sync)
            for lo, hi in ranges:
                service.sync_range(uow, day, lo, hi)
        expected = _writes(uow.conn)
    for lo, hi in ranges:
        with UnitOfWork(engine) as uow:
            service.sync_cases(uow, day, lo, hi)
            uow.commit()
    with UnitOfWork(engine) as uow:
        assert _writes(uow.conn) == expected, day
        for lo, hi in ranges:
            report = service.sync_range(uow, day, lo, hi)
            assert (report.opened, report.updated, report.closed) == ([], [], [])
        assert _writes(uow.conn) == expected, f"{day}: a second sync changed something"
    return sum(len(expected[k]) != len(before[k]) or expected[k] != before[k]
               for k in expected)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pre_filtered_sync_writes_what_the_full_sync_writes(
        engine: Engine, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(seed)
    ids = _book(engine, rnd, 150)
    middle = ids[len(ids) // 2] * LOANS_PER_CUSTOMER
    partitions = [(0, middle - 1), (middle, 2**62)]
    changed = 0
    day = D1
    for night in range(6):
        changed += _night(engine, day, partitions if night % 2 else [(0, 2**62)], monkeypatch)
        day += timedelta(days=rnd.choice((1, 1, 7, 30)))
        _move(engine, rnd, ids, day)
    assert changed >= 6  # every night wrote something: the comparison is not vacuous
    with UnitOfWork(engine) as uow:
        events = {e for (e,) in uow.conn.execute(select(collection_case_history.c.event))}
    assert {"opened", "updated", "closed", "reopened", "plan_completed", "plan_broken"} <= events
