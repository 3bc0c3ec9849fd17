"""``generate(url, loans, seed, business_date)``: a synthetic book in the configured database.

K prototypes (about one per 250 loans, at least 200, at most 4,000) are walked by the per-loan
reference on this machine's cores (meanwhile the database's schema is brought up to date), then
copied into ``loans`` loans (see ``prototypes.py`` and ``load.py``). The business date is set;
the ledger audit passes right after.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context

from lendcore.portfolio.load import Assignment, assign, load_book
from lendcore.portfolio.prototypes import Prototype, prototypes
from lendcore.store.db import make_engine, upgrade


def prototype_count(loans: int) -> int:
    return max(min(loans, 200), min(4000, loans // 250))


def _chunks(seed: int, count: int, business_date: date,
            workers: int) -> list[tuple[int, int, date]]:
    return [(seed * 1000 + i, count // workers + (i < count % workers), business_date)
            for i in range(workers)]


def build_prototypes(seed: int, count: int, business_date: date,
                     workers: int = 2) -> list[Prototype]:
    if workers <= 1 or count < 200:
        return prototypes(seed, count, business_date)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = list(pool.map(prototypes, *zip(*_chunks(seed, count, business_date, workers),
                                               strict=True)))
    return [p for part in parts for p in part]


def generate(url: str, loans: int, seed: int, business_date: date,
             workers: int = 2) -> tuple[dict[str, int], dict[str, float], Assignment,
                                        list[Prototype]]:
    """Fill the (empty) database; returns row counts, seconds per phase, and the copies' plan."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    count = prototype_count(loans)
    engine = make_engine(url)
    try:
        if workers <= 1 or count < 200:
            upgrade(engine)
            protos = prototypes(seed, count, business_date)
        else:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
                parts: list[Future[list[Prototype]]] = [
                    pool.submit(prototypes, *chunk)
                    for chunk in _chunks(seed, count, business_date, workers)]
                upgrade(engine)  # while the workers walk
                protos = [p for part in parts for p in part.result()]
        seconds["prototypes"] = round(time.perf_counter() - started, 3)
        a = assign(loans, len(protos), seed)
        started = time.perf_counter()
        counts = load_book(engine, protos, a, business_date, seconds)
        seconds["load"] = round(time.perf_counter() - started, 3)
    finally:
        engine.dispose()
    return counts, seconds, a, protos
