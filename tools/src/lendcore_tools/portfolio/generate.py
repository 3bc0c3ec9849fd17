"""``generate(url, loans, seed, business_date)``: a synthetic book in the configured database.

K prototypes (about one per 250 loans, at least 200, at most 4,000) are walked by the per-loan
reference on this machine's cores (meanwhile the database's schema is brought up to date), then
copied into ``loans`` loans (see ``prototypes.py`` and ``load.py``). The business date is set;
the ledger audit passes right after.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context

from sqlalchemy import Engine

from lendcore.store.db import make_engine, upgrade
from lendcore_tools.portfolio.load import Assignment, assign, load_book
from lendcore_tools.portfolio.prototypes import Prototype, prototypes


def prototype_count(loans: int) -> int:
    return max(min(loans, 200), min(4000, loans // 250))


def build_prototypes(seed: int, count: int, business_date: date, workers: int = 2,
                     engine: Engine | None = None) -> list[Prototype]:
    """The prototypes, walked in ``workers`` processes; ``engine``'s schema is upgraded
    meanwhile."""
    if workers <= 1 or count < 200:
        if engine is not None:
            upgrade(engine)
        return prototypes(seed, count, business_date)
    chunks = [(seed * 1000 + i, count // workers + (i < count % workers), business_date)
              for i in range(workers)]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = [pool.submit(prototypes, *chunk) for chunk in chunks]
        if engine is not None:
            upgrade(engine)
        return [p for part in parts for p in part.result()]


def generate(url: str, loans: int, seed: int, business_date: date,
             workers: int = 2) -> tuple[dict[str, int], dict[str, float], Assignment,
                                        list[Prototype]]:
    """Fill the (empty) database; returns row counts, seconds per phase, and the copies' plan."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        protos = build_prototypes(seed, prototype_count(loans), business_date, workers, engine)
        seconds["prototypes"] = round(time.perf_counter() - started, 3)
        a = assign(loans, len(protos), seed)
        started = time.perf_counter()
        counts = load_book(engine, protos, a, business_date, seconds)
        seconds["load"] = round(time.perf_counter() - started, 3)
    finally:
        engine.dispose()
    return counts, seconds, a, protos
