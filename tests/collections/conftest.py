"""Collections' fixtures: a book with one borrower in collection, on a known business date."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from collections_helpers import D1, add_customer, add_loan, open_day
from sqlalchemy import Engine

from lendcore.collections import service
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork


@pytest.fixture()
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Engine, int]]:
    """A Tokyo borrower (+09:00) 40 days late, with an open case, on business date D1
    (SQLite; ``LENDCORE_DATABASE_URL`` points the CLI at it)."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    monkeypatch.setenv("LENDCORE_DATABASE_URL", sqlite_url)
    with UnitOfWork(engine) as uow:
        open_day(uow.conn, D1)
        cid = add_customer(uow.conn, "Asia/Tokyo")
        add_loan(uow.conn, cid, 1, dpd=40, overdue_principal_fen=123_456)
        (case_id,) = service.sync_book(uow, D1).opened
        uow.commit()
    yield engine, case_id
    engine.dispose()
