"""The core of one business day over N loans on PostgreSQL and SQLite, beside a raw round trip of
the same rows measured in the same run (goal: the day within 3x the raw round trip). The core
only: the night's steps after it (collections case sync, limit review) are not run or timed.

    .venv/bin/python benchmarks/bench_eod_day.py [--loans 1000000] [--db postgres sqlite]

Each database is dedicated to the run (a fresh PostgreSQL database, a fresh SQLite file) and
dropped at the end. The book comes from ``lendcore portfolio generate`` (timed too). The raw
round trip reads the live loans' columns (PostgreSQL: COPY out; SQLite: SELECT), computes a
day's interest with numpy, writes the same 21 columns back (PostgreSQL: COPY into a temporary
table + UPDATE ... FROM; SQLite: executemany UPDATE) and rolls back.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import date

import numpy as np
from sqlalchemy import create_engine, text

from lendcore.eod import sqlio
from lendcore.eod.run import run_through
from lendcore.store.db import make_engine
from lendcore_tools.portfolio.generate import generate

BUSINESS_DATE = date(2026, 3, 1)
PG_ADMIN = os.environ.get("LENDCORE_TEST_PG_ADMIN_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


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


def bench(url: str, loans: int) -> None:
    started = time.perf_counter()
    counts, gen_seconds, _a, _p = generate(url, loans, 1, BUSINESS_DATE)
    print(f"  generated {counts['loans']:,} loans, {counts['installments']:,} installments, "
          f"{counts['postings']:,} postings in {time.perf_counter() - started:.1f} s "
          f"({', '.join(f'{k} {v:.1f}' for k, v in gen_seconds.items())})")
    started = time.perf_counter()
    [report] = run_through(url, BUSINESS_DATE, steps=())  # the core only: no night steps
    day = time.perf_counter() - started
    print(f"  EOD day (the core, no night steps): {report.loans:,} loans in "
          f"{report.partitions} partitions, {day:.2f} s wall "
          f"({report.loans / day:,.0f} loans/s)")
    print("    phases (summed over partitions): " + ", ".join(
        f"{k} {v:.2f}" for k, v in report.seconds.items()))
    raw = raw_round_trip(url)
    print("  raw round trip (one connection): " + ", ".join(
        f"{k} {v:.2f}" for k, v in raw.items()))
    print(f"  EOD day / raw round trip: {day / raw['total']:.2f} (goal <= 3)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--db", nargs="+", default=["postgres", "sqlite"])
    args = parser.parse_args()
    if "postgres" in args.db:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        name = f"lc_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            print(f"PostgreSQL ({name})")
            bench(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", args.loans)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    if "sqlite" in args.db:
        with tempfile.TemporaryDirectory() as folder:
            print(f"SQLite ({folder}/bench.db)")
            bench(f"sqlite:///{folder}/bench.db", args.loans)


if __name__ == "__main__":
    main()
