"""Repayments posted per second through the service layer, beside a raw-SQL baseline.

For each database (PostgreSQL on 127.0.0.1:5432 in a database of its own, and a SQLite file) it
builds a small book of loans through the real services, then measures, in the same run:

* **service**: ``execute(Repay(loan, 100), key=...)`` -> ``service.repay``: idempotency check, row
  lock, allocation, installment and loan update, loan event, ledger entry, line release;
* **raw**: the same rows written with plain SQL and no domain logic (insert the idempotency key,
  the loan event, the journal entry and its postings; update the loan row, one installment and
  the credit line), one transaction per repayment.

with 1 and 4 concurrent writer processes (as 4 server workers would be), and prints
repayments/s and the ratio service/raw (median of the repeats). Goal: at least 50% of the
raw baseline on PostgreSQL.

    .venv/bin/python benchmarks/bench_repayments.py [--repayments 600] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from multiprocessing import get_context

from sqlalchemy import Engine, create_engine, text

from lendcore.clock import init_business_date
from lendcore.customers.operations import CreateCustomer, OpenLine
from lendcore.merchants.operations import AddMerchant
from lendcore.runner import Context, execute
from lendcore.servicing.operations import Draw, Repay
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork

DAY = date(2026, 3, 2)
LOANS = 64
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CTX = Context(now=datetime(2026, 3, 2, 2, 0, tzinfo=UTC), actor="bench")


def build_book(engine: Engine) -> list[int]:
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, DAY)
        uow.commit()
    execute(engine, AddMerchant("mi-mall", "小米商城", "electronics"), ctx=CTX)  # the payee
    loan_ids = []
    for n in range(LOANS):
        cid = execute(engine, CreateCustomer(), ctx=CTX)["customer_id"]
        line = execute(engine, OpenLine(cid, "cash-line", 5_000_000), ctx=CTX)
        loan = execute(engine, Draw(line["line_id"], 4_000_000, 12, "travel", "mi-mall"), ctx=CTX,
                       key=f"d{n}")
        loan_ids.append(int(loan["loan_id"]))
    return loan_ids


def service_repay(engine: Engine, loan_id: int, tag: str) -> None:
    execute(engine, Repay(loan_id, 100), ctx=CTX, key=f"s-{tag}")


RAW = [
    ("INSERT INTO idempotency_keys (key, command, request_hash, status_code, response_json) "
     "VALUES (:k, 'raw', 'h', 200, '{}')"),
    ("INSERT INTO loan_events (loan_id, kind, effective_date, amount_fen, detail_json, "
     "idempotency_key, reversed, booked_on) "
     "VALUES (:l, 'repayment', :d, 100, '{}', :k, false, :d)"),
    ("UPDATE loans SET principal_outstanding_fen = principal_outstanding_fen - 100, "
     "interest_receivable_fen = interest_receivable_fen, dpd = 0, bucket = 'M0', "
     "risk_class = 'normal', next_due_date = next_due_date, version = version + 1 "
     "WHERE id = :l"),
    ("UPDATE installments SET paid_principal_fen = paid_principal_fen + 100 "
     "WHERE loan_id = :l AND number = 1"),
    ("UPDATE credit_lines SET used_fen = used_fen - 100 WHERE id = "
     "(SELECT credit_line_id FROM loans WHERE id = :l)"),
]
RAW_ENTRY = ("INSERT INTO journal_entries (reason, effective_date, loan_id, product_code, "
             "source_key) VALUES ('repayment', :d, :l, 'cash-line', :k) RETURNING id")
RAW_POSTINGS = ("INSERT INTO postings (entry_id, line, account_code, debit_fen, credit_fen) "
                "VALUES (:e, 1, '1001', 100, 0), (:e, 2, '1100', 0, 100)")


def raw_repay(engine: Engine, loan_id: int, tag: str) -> None:
    with engine.begin() as conn:
        params = {"l": loan_id, "d": DAY, "k": f"r-{tag}"}
        for sql in RAW:
            conn.execute(text(sql), params)
        entry_id = conn.execute(text(RAW_ENTRY), params).scalar_one()
        conn.execute(text(RAW_POSTINGS), {"e": entry_id})


def _writer(url: str, kind: str, loan_ids: list[int], start: int, count: int,
            tag: str) -> float:
    """One writer process: its own engine, ``count`` repayments; returns its busy seconds."""
    fn = service_repay if kind == "service" else raw_repay
    engine = make_engine(url)
    fn(engine, loan_ids[start % len(loan_ids)], f"{tag}-warm")  # connect before timing
    started = time.perf_counter()
    for i in range(count):
        fn(engine, loan_ids[(start + i) % len(loan_ids)], f"{tag}-{i}")
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def rate(url: str, loan_ids: list[int], kind: str, total: int, writers: int) -> float:
    """Repayments per second with ``writers`` concurrent writer processes (as server workers
    would be): each writer times its own loop; the rate is the total over the slowest."""
    run_id = uuid.uuid4().hex[:8]
    per = total // writers
    with ProcessPoolExecutor(max_workers=writers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_writer, url, kind, loan_ids, w * per, per, f"{kind}-{run_id}-{w}")
                   for w in range(writers)]
        slowest = max(f.result() for f in futures)
    return per * writers / slowest


def measure(name: str, engine: Engine, total: int, repeats: int, writers_list: list[int]) -> None:
    loan_ids = build_book(engine)
    url = engine.url.render_as_string(hide_password=False)
    for writers in writers_list:
        svc, raw = [], []
        for _ in range(repeats):
            raw.append(rate(url, loan_ids, "raw", total, writers))
            svc.append(rate(url, loan_ids, "service", total, writers))
        s, r = statistics.median(svc), statistics.median(raw)
        print(f"{name:<10} {writers:>7} {s:>12.0f} {r:>12.0f} {s / r:>8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repayments", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"{'database':<10} {'writers':>7} {'service/s':>12} {'raw/s':>12} {'ratio':>8}")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"lendcore_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        pg = make_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
        measure("postgres", pg, args.repayments, args.repeats, [1, 4])
        pg.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    with tempfile.TemporaryDirectory() as tmp:
        lite = make_engine(f"sqlite:///{tmp}/bench.db")
        measure("sqlite", lite, args.repayments, args.repeats, [1, 4])
        lite.dispose()


if __name__ == "__main__":
    main()
