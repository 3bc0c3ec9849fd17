"""Same seed, same book: two short runs give the same trial balance and the same loans."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lendcore.ledger.store import trial_balance
from lendcore.store.db import make_engine
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from lendcore_tools.demo.simulate import DemoConfig, run_demo


def _book(url: str) -> tuple[list[object], list[object]]:
    engine = make_engine(url)
    try:
        with UnitOfWork(engine, read_only=True) as uow:
            rows = uow.conn.execute(select(
                loans.c.id, loans.c.principal_fen, loans.c.principal_outstanding_fen,
                loans.c.dpd, loans.c.status).order_by(loans.c.id)).all()
            return list(trial_balance(uow.conn)), [tuple(r) for r in rows]
    finally:
        engine.dispose()


def test_the_same_seed_gives_the_same_book(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path}/run{i}.db" for i in (1, 2)]
    results = [run_demo(DemoConfig(customers=80, days=45, seed=11, url=u)) for u in urls]
    first, second = (_book(u) for u in urls)
    assert first == second
    assert first[1], "the run made loans"
    assert results[0].world.counts == results[1].world.counts


def test_another_seed_gives_another_book(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path}/seed{i}.db" for i in (1, 2)]
    for seed, url in zip((11, 12), urls, strict=True):
        run_demo(DemoConfig(customers=80, days=20, seed=seed, url=url))
    assert _book(urls[0]) != _book(urls[1])
