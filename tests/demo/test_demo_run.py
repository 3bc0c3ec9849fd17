"""A short demo run on SQLite and on PostgreSQL: the book ages, the ledger stays exact, and the
collections guard let through only contacts inside the rules (re-checked here, independently).

300 applicants over 240 days: borrowers join from the first day, so the first loans that are
never paid reach 180 days past due (charge-off) and some are paid after it (recoveries).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from lendcore.collections.phrases import forbidden_matches
from lendcore.store.collections_tables import collection_contacts, collection_plans
from lendcore.store.core_tables import customers
from lendcore.store.db import make_engine
from lendcore.store.ledger_tables import journal_entries
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo.simulate import DemoConfig, DemoResult, run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[str]:
    """An empty database for one demo run (the demo migrates it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('demo')}/demo.db"
        return
    base = request.getfixturevalue("pg_url").rsplit("/", 1)[0]
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    name = f"lc_demo_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throwaway test database: commits need not wait for the disk (the demo commits once
        # per command, thousands of times); consistency is unchanged.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def engine(database: str) -> Iterator[Engine]:
    eng = make_engine(database)
    yield eng
    eng.dispose()


def test_a_short_demo_run(engine: Engine, database: str) -> None:
    """One run per database (the demo is the suite's longest fixture): both checks on it."""
    demo = run_demo(DemoConfig(customers=300, days=240, seed=7, url=database))
    _ages_the_book_and_keeps_the_ledger_exact(engine, demo)
    _no_contact_outside_the_rules_was_allowed(engine)


def _count(engine: Engine, query: object) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(query).scalar_one())  # type: ignore[call-overload]


def _ages_the_book_and_keeps_the_ledger_exact(engine: Engine, demo: DemoResult) -> None:
    assert demo.real_nightly, "the demo must run the real end-of-day run"
    assert demo.audit_problems == []
    assert {"M0", "M1", "M2", "M3", "M4"} <= demo.tracker.reached
    assert demo.tracker.charged_off
    reasons = select(journal_entries.c.reason, func.count()).group_by(journal_entries.c.reason)
    with UnitOfWork(engine, read_only=True) as uow:
        by_reason = dict(uow.conn.execute(reasons).all())
    assert by_reason.get("recovery", 0) >= 1
    assert by_reason.get("refund", 0) >= 1
    assert demo.world.counts["prepayment"] >= 1
    signed = select(func.count()).select_from(collection_plans).where(
        collection_plans.c.status != "offered")
    assert _count(engine, signed) >= 1


def _no_contact_outside_the_rules_was_allowed(engine: Engine) -> None:
    c = collection_contacts.c
    with UnitOfWork(engine, read_only=True) as uow:
        zones = dict(uow.conn.execute(select(customers.c.id, customers.c.timezone)).all())
        rows = uow.conn.execute(select(collection_contacts).where(c.allowed.is_(True))
                                .order_by(c.id)).mappings().all()
        refused = uow.conn.execute(select(func.count()).select_from(collection_contacts)
                                   .where(c.allowed.is_(False))).scalar_one()
    assert rows and refused > 0, "the demo proposes rule-breaking contacts on purpose"
    answered: Counter[tuple[int, object]] = Counter()
    attempts: Counter[tuple[int, object, str]] = Counter()
    for row in rows:
        _check_one(row, ZoneInfo(zones[row["customer_id"]]))
        day = (row["customer_id"], row["local_date"])
        if row["channel"] == "call" and row["outcome"] == "answered":
            answered[day] += 1
        if row["channel"] in ("call", "sms"):
            attempts[(*day, row["number_ref"])] += 1
    assert max(answered.values()) <= 3  # rule: at most 3 answered calls a borrower a day
    assert max(attempts.values()) <= 6  # rule: at most 6 attempts a number a day


def _check_one(row: object, zone: ZoneInfo) -> None:
    r = dict(row)  # type: ignore[call-overload]
    at = r["at_utc"]
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=ZoneInfo("UTC"))
    local = at.astimezone(zone).time()
    assert time(8, 0) <= local < time(21, 0), r  # rule 22:00-08:00, policy window 08:00-21:00
    assert r["target"] == "borrower", r  # nobody was marked unreachable
    assert r["collector_id"], r
    if r["channel"] in ("call", "visit"):
        assert r["recording_ref"], r
    if r["channel"] == "visit":
        assert len(set(json.loads(r["collectors_json"])) | {r["collector_id"]}) >= 2, r
    assert not forbidden_matches(r["template"] or ""), r
