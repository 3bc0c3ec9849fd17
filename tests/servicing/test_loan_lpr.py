"""The one-year LPR in force on the contract date is stored on the loan and shown (domain.md s3).

The caps table's LPR rows: 3.45% from 2023-08-21, 3.35% from 2024-07-22, 3.10% from 2024-10-21,
3.00% from 2025-05-20; none recorded before 2023-08-21. Migration ``0015_loan_lpr`` gives the
loans that existed before it the LPR in force on their start dates: what opening them today
records.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, select

from lendcore.clock import advance_business_date, business_date
from lendcore.servicing.operations import Draw
from lendcore.store.db import alembic_config
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import MERCHANT, make_cli, new_line, run, start_book

# (start date, stored ppb, loan view, statement) on each side of every LPR change.
SIDES = [
    (date(2023, 8, 20), None, None, None),
    (date(2023, 8, 21), 34_500_000, "0.034500", "3.45%"),
    (date(2024, 7, 21), 34_500_000, "0.034500", "3.45%"),
    (date(2024, 7, 22), 33_500_000, "0.033500", "3.35%"),
    (date(2024, 10, 21), 31_000_000, "0.031000", "3.10%"),
    (date(2025, 5, 19), 31_000_000, "0.031000", "3.10%"),
    (date(2025, 5, 20), 30_000_000, "0.030000", "3.00%"),
]


def _jump(engine: Engine, to: date) -> None:
    """Move the business date forward without a nightly run (no loan is touched)."""
    with UnitOfWork(engine) as uow:
        day = business_date(uow.conn)
        while day < to:
            day = advance_business_date(uow.conn, day)
        uow.commit()


def _draw_on_each_side(engine: Engine) -> list[int]:
    start_book(engine, SIDES[0][0])
    ids = []
    for day, *_ in SIDES:
        _jump(engine, day)
        _, line_id = new_line(engine)
        loan = run(engine, Draw(line_id, 100_000, 3, "travel", MERCHANT, "equal-installment"),
                   f"draw-{day}")
        ids.append(int(loan["loan_id"]))
    return ids


def _stored(engine: Engine) -> dict[int, Any]:
    with engine.connect() as conn:
        rows = conn.execute(select(loans.c.id, loans.c.lpr_one_year_ppb)).all()
    return {int(r.id): r.lpr_one_year_ppb for r in rows}


def test_a_loan_records_the_lpr_in_force_on_its_start_date_and_shows_it(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _draw_on_each_side(engine)
    assert list(_stored(engine).values()) == [ppb for _, ppb, _, _ in SIDES]
    cli = make_cli(engine, monkeypatch)
    for loan_id, (_, _, shown, on_statement) in zip(ids, SIDES, strict=True):
        _, out = cli("loan", "show", str(loan_id))
        assert json.loads(out)["lpr_one_year"] == shown
        _, out = cli("loan", "statement", str(loan_id))
        assert json.loads(out)["rates"]["lpr_one_year"] == on_statement


def test_the_migration_gives_existing_loans_the_lpr_of_their_start_date(engine: Engine) -> None:
    _draw_on_each_side(engine)
    opened = _stored(engine)
    config = alembic_config(engine)
    # 0020 (partitions, on PostgreSQL) builds on every head: it goes first, alone.
    command.downgrade(config, "0019_contract_version")
    command.downgrade(config, "0015_loan_lpr@-1")  # this revision only
    assert "lpr_one_year_ppb" not in {c["name"] for c in inspect(engine).get_columns("loans")}
    command.upgrade(config, "0015_loan_lpr")
    assert _stored(engine) == opened  # what opening each loan recorded, NULL before 2023-08-21
