"""End of day on SQLite and PostgreSQL: rows equal the per-loan reference, the ledger audits."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import Engine, func, select, text, update

from lendcore import wiring
from lendcore.clock import business_date
from lendcore.eod.partition import close_partition
from lendcore.eod.run import run_through
from lendcore.ledger.store import audit
from lendcore.store.eod_tables import eod_partitions, notification_outbox
from lendcore.store.servicing_tables import loans
from tests.eod.conftest import BUSINESS_DATE, assert_row_is_reference, url_of


def _sample(engine: Engine, k: int, seed: int) -> list[int]:
    with engine.connect() as conn:
        ids = [int(i) for i in conn.execute(select(loans.c.id).order_by(loans.c.id)).scalars()]
    return random.Random(seed).sample(ids, min(k, len(ids)))


def test_a_generated_loan_is_exactly_the_replay_of_its_events(book: Engine) -> None:
    sample = _sample(book, 80, 1)
    with book.connect() as conn:
        for loan_id in sample:
            assert_row_is_reference(conn, loan_id, BUSINESS_DATE)
        assert audit(conn) == []


def test_days_closed_in_bulk_equal_closing_each_loan_and_the_audit_passes(book: Engine) -> None:
    through = BUSINESS_DATE + timedelta(days=33)
    reports = run_through(url_of(book), through, partitions=3, workers=1, steps=())
    assert [r.business_date for r in reports][-1] == through.isoformat()
    assert len(reports) == 34 and all(not r.problems for r in reports)
    assert sum(sum(r.interest_fen.values()) for r in reports) > 0
    assert sum(sum(r.penalty_fen.values()) for r in reports) > 0
    sample = _sample(book, 80, 2)
    with book.connect() as conn:
        assert business_date(conn) == through + timedelta(days=1)
        for loan_id in sample:
            assert_row_is_reference(conn, loan_id, through + timedelta(days=1))
        assert audit(conn) == []
    assert run_through(url_of(book), through, steps=()) == []


def test_closing_a_partition_twice_changes_nothing(book: Engine) -> None:
    day = BUSINESS_DATE
    run_through(url_of(book), day, partitions=2, workers=1, steps=())
    with book.connect() as conn:
        before = conn.execute(select(func.sum(loans.c.interest_receivable_fen))).scalar_one()
        notes = conn.execute(select(func.count()).select_from(notification_outbox)).scalar_one()
        part = conn.execute(select(eod_partitions)).first()
    again = close_partition(url_of(book), day, part.lo_id, part.hi_id)
    assert again.skipped
    with book.connect() as conn:
        assert conn.execute(select(func.sum(loans.c.interest_receivable_fen))).scalar_one() \
            == before
        assert conn.execute(select(func.count()).select_from(notification_outbox)) \
            .scalar_one() == notes
        keys = conn.execute(select(notification_outbox.c.event_key)).scalars().all()
        assert len(keys) == len(set(keys)) and notes > 0


def test_a_loan_not_closed_through_the_day_before_is_listed_and_the_rest_closes(
        book: Engine) -> None:
    with book.begin() as conn:
        victim = conn.execute(select(loans.c.id).where(loans.c.status == "active")
                              .order_by(loans.c.id).limit(1)).scalar_one()
        conn.execute(update(loans).where(loans.c.id == victim)
                     .values(accrued_through=BUSINESS_DATE - timedelta(days=3)))
    [report] = run_through(url_of(book), BUSINESS_DATE, workers=1, steps=())
    assert any(f"loan {victim}: accrued_through" in p for p in report.problems)
    with book.connect() as conn:
        closed = conn.execute(select(func.count()).select_from(loans).where(
            loans.c.accrued_through == BUSINESS_DATE)).scalar_one()
        assert closed == report.loans
        assert conn.execute(text("select count(*) from loans where status <> 'closed'")) \
            .scalar_one() == report.loans + 1


def test_reminders_and_notices_are_in_the_outbox_once_with_masked_amounts(book: Engine) -> None:
    run_through(url_of(book), BUSINESS_DATE + timedelta(days=9), workers=1, steps=())
    with book.connect() as conn:
        rows = conn.execute(select(notification_outbox)).all()
    templates = {r.template for r in rows}
    assert {"reminder_t3", "reminder_t1", "reminder_t0", "overdue_notice",
            "credit_report_notice"} <= templates
    for r in rows:
        assert r.amount_masked.startswith("¥") and r.amount_masked[-3] == "."
        assert "*" in r.amount_masked or len(r.amount_masked) <= 5  # ¥9.99 has nothing to mask
        if r.template == "reminder_t3":
            assert r.due_date == r.business_date + timedelta(days=3)
        if r.template == "credit_report_notice":
            assert r.business_date - r.due_date == timedelta(days=3)


def test_status_shows_the_open_business_date(book: Engine, monkeypatch) -> None:
    import typer
    from typer.testing import CliRunner

    from lendcore.eod import commands

    run_through(url_of(book), BUSINESS_DATE + timedelta(days=1), workers=1, steps=())
    monkeypatch.setenv("LENDCORE_DATABASE_URL", url_of(book))
    app = typer.Typer()
    commands.register(app, lambda: wiring.night_steps())
    result = CliRunner().invoke(app, ["eod", "status"])
    assert result.exit_code == 0, result.output
    assert f"business date (open): {date(2026, 3, 3)}" in result.output
    assert "closed 2026-03-02, done" in result.output
