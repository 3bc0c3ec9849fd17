"""The whole night over N loans on PostgreSQL and SQLite, as ``lendcore eod run`` runs it, beside a
raw round trip of the same rows measured in the same run.

    .venv/bin/python benchmarks/bench_eod_day.py [--loans 200000 1000000] [--db postgres sqlite]

For each size and database: a dedicated database (a fresh PostgreSQL database, a fresh SQLite file,
dropped at the end) gets a book from ``lendcore portfolio generate`` (timed), then one business day
is closed by ``run_through(url, day, steps=wiring.night_steps())``, the same call as the CLI's: the
core (partitions closed, provisions, the business date) and every night step after it, each step's
wall time and share printed. The raw round trip reads the live loans' columns (PostgreSQL: COPY out;
SQLite: SELECT), computes a day's interest with numpy, writes the same 21 columns back (PostgreSQL:
COPY into a temporary table + UPDATE ... FROM; SQLite: executemany UPDATE) and rolls back.

Ratios printed: the night / its core (goal <= 1.5), the night / the raw round trip (goal on SQLite
<= 30). A last table shows how the generator's time, the night's time and the database's size grow
with the book. ``--repeat K`` closes K successive days on the same book and reports medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

from lendcore.eod import sqlio
from lendcore.eod.run import run_through
from lendcore.store.db import make_engine
from lendcore.wiring import night_steps
from lendcore_tools.portfolio.generate import generate

# Throwaway databases: the generator seals its made-up identities with the development key ring.
os.environ.setdefault("LENDCORE_MODE", "development")
BUSINESS_DATE = date(2026, 3, 1)
PG_ADMIN = os.environ.get("LENDCORE_TEST_PG_ADMIN_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
WALL = ("close_partitions", "provisions", "total")  # a DayReport's wall-clock phases


@dataclass
class Result:
    db: str
    loans: int
    generate: float
    night: float
    core: float
    steps: dict[str, float]
    raw: float
    size_bytes: int


def raw_round_trip(url: str) -> dict[str, float]:
    engine = make_engine(url)
    seconds: dict[str, float] = {}
    try:
        with engine.connect() as conn, conn.begin():
            started = time.perf_counter()
            snap = sqlio.read_loans(conn, 0, 2**62)
            seconds["read"] = time.perf_counter() - started
            started = time.perf_counter()
            b = snap.book
            numerator = b.interest_carry + b.principal_outstanding_fen * b.annual_rate_ppb
            fen = (2 * numerator + b.divisor) // (2 * b.divisor)
            book = type(b)(**{**{n: getattr(b, n) for n in b.__dataclass_fields__},
                              "interest_receivable_fen": b.interest_receivable_fen + fen,
                              "interest_carry": numerator - fen * b.divisor,
                              "accrued_through": b.accrued_through + 1})
            seconds["compute"] = time.perf_counter() - started
            started = time.perf_counter()
            written = sqlio.write_loans(conn, snap, book, np.arange(len(snap.ids)))
            seconds["write"] = time.perf_counter() - started
            assert written == len(snap.ids)
            conn.rollback()
    finally:
        engine.dispose()
    seconds["total"] = sum(seconds.values())
    return seconds


def size_of(url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT pg_database_size(current_database())"))
                       .scalar_one())
    finally:
        engine.dispose()


def bench(db: str, url: str, loans: int, repeat: int) -> Result:
    started = time.perf_counter()
    counts, _parts, _a, _p = generate(url, loans, 1, BUSINESS_DATE)
    gen = time.perf_counter() - started
    print(f"  generated {counts['loans']:,} loans, {counts['installments']:,} installments, "
          f"{counts['postings']:,} postings in {gen:.1f} s")
    steps = night_steps()
    nights: list[float] = []
    cores: list[float] = []
    by_step: dict[str, list[float]] = {s.name: [] for s in steps}
    for k in range(repeat):
        day = BUSINESS_DATE + timedelta(days=k)
        started = time.perf_counter()
        [report] = run_through(url, day, steps=steps)
        night = time.perf_counter() - started
        # The core is the night less its steps: start-up, partitions, provisions, the date.
        core = night - sum(report.seconds[s.name] for s in steps)
        nights.append(night)
        cores.append(core)
        for s in steps:
            by_step[s.name].append(report.seconds[s.name])
        print(f"  night of {day}: {report.loans:,} loans, {report.partitions} partitions, "
              f"{night:.2f} s wall; core {core:.2f} s ({core / night:.0%}), " + ", ".join(
                  f"{s.name} {report.seconds[s.name]:.2f} s "
                  f"({report.seconds[s.name] / night:.0%})" for s in steps))
        print("    inside the core, summed over partitions (parts, not wall): " + ", ".join(
            f"{k} {v:.2f}" for k, v in report.seconds.items()
            if k not in (*WALL, *by_step)))
    raw = raw_round_trip(url)
    print("  raw round trip (one connection): " + ", ".join(
        f"{k} {v:.2f}" for k, v in raw.items()))
    result = Result(db, loans, gen, statistics.median(nights), statistics.median(cores),
                    {k: statistics.median(v) for k, v in by_step.items()}, raw["total"],
                    size_of(url))
    print(f"  night (median of {repeat}) {result.night:.2f} s; night / core "
          f"{result.night / result.core:.2f} (goal <= 1.5); night / raw round trip "
          f"{result.night / result.raw:.1f}" + (" (goal <= 30)" if db == "sqlite" else ""))
    return result


@contextmanager
def database(db: str) -> Iterator[str]:
    if db == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"lc_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"],
                        choices=["postgres", "sqlite"])
    parser.add_argument("--repeat", type=int, default=1, help="days closed per book (median)")
    args = parser.parse_args()
    results: list[Result] = []
    for loans in args.loans:
        for db in args.db:
            with database(db) as url:
                print(f"{db}, {loans:,} loans")
                results.append(bench(db, url, loans, args.repeat))
    print("\n| database | loans | generate | night | core | steps | night/core | night/raw "
          "| size |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r.steps.items())
        print(f"| {r.db} | {r.loans:,} | {r.generate:.1f} s | {r.night:.1f} s | {r.core:.1f} s "
              f"| {steps} | {r.night / r.core:.2f} | {r.night / r.raw:.1f} "
              f"| {r.size_bytes / 2**30:.2f} GiB |")


if __name__ == "__main__":
    main()
