"""Kill a real ``lendcore eod run`` with SIGKILL mid-run, run it again: the same book as a run
that was never interrupted (balances, installments, ledger, notifications, provisions)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from lendcore.eod.run import run_through
from tests.eod.conftest import BUSINESS_DATE, generate_book, url_of

THROUGH = BUSINESS_DATE + timedelta(days=6)
LOANS = 2000
PARTITIONS = 6

SNAPSHOT = {
    "loans": "SELECT * FROM loans ORDER BY id",
    "installments": "SELECT * FROM installments ORDER BY loan_id, number",
    "credit_lines": "SELECT * FROM credit_lines ORDER BY id",
    "outbox": "SELECT event_key, business_date, customer_id, loan_id, channel, template, "
              "due_date, amount_masked FROM notification_outbox ORDER BY event_key",
    "entries": "SELECT e.reason, e.effective_date, e.loan_id, e.product_code, e.source_key, "
               "p.line, p.account_code, p.debit_fen, p.credit_fen FROM journal_entries e "
               "JOIN postings p ON p.entry_id = e.id ORDER BY e.source_key, e.loan_id, "
               "e.reason, e.effective_date, p.line",
    "provisions": "SELECT * FROM eod_provisions ORDER BY business_date, product_code, risk_class",
    "state": "SELECT * FROM system_state ORDER BY key",
}


def _snapshot(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(sql))]
                for name, sql in SNAPSHOT.items()}


def _done_partitions(url: str) -> int:
    sql = "SELECT count(*) FROM eod_partitions WHERE status = 'done'"
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///"), timeout=1) as conn:
            try:
                return int(conn.execute(sql).fetchone()[0])
            except sqlite3.OperationalError:
                return 0
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        eng.dispose()


# The real CLI in its own process, the night's steps wired to none: the core is what is killed
# and compared (the steps have their own tests in test_night_steps.py).
CORE_ONLY_CLI = ("import lendcore.wiring as w; w.night_steps = lambda: (); "
                 "from lendcore.cli import main; main()")


def _eod(url: str, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LENDCORE_DATABASE_URL": url, "LENDCORE_MODE": "development",
           "LENDCORE_CLOCK": f"{THROUGH.isoformat()}T21:30+08:00"}
    env.pop("LENDCORE_DASK_SCHEDULER", None)
    return subprocess.Popen(
        [sys.executable, "-c", CORE_ONLY_CLI, "eod", "run", "--through", THROUGH.isoformat(),
         "--partitions", str(PARTITIONS), "--workers", str(workers), "--json"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _kill_mid_run(url: str, workers: int, after_done: int) -> None:
    proc = _eod(url, workers)
    deadline = time.monotonic() + 120
    while _done_partitions(url) < after_done:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else b""
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its worker processes, mid-transaction
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture()
def twin(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A second, identical database of the same kind."""
    from tests.conftest import fresh_database

    kind = "sqlite" if engine.dialect.name == "sqlite" else "postgres"
    with fresh_database(kind, tmp_path, url_of(engine), prefix="lc_twin") as other:
        yield other


@pytest.mark.slow
def test_a_run_killed_mid_way_and_run_again_equals_an_uninterrupted_run(
        engine: Engine, twin: Engine) -> None:
    generate_book(engine, LOANS, seed=3)
    generate_book(twin, LOANS, seed=3)
    assert _snapshot(engine) == _snapshot(twin)
    workers = 1 if engine.dialect.name == "sqlite" else 2
    run_through(url_of(twin), THROUGH, partitions=PARTITIONS, workers=1, steps=())
    url = url_of(engine)
    _kill_mid_run(url, workers, after_done=PARTITIONS + 2)  # inside day 2
    _kill_mid_run(url, workers, after_done=4 * PARTITIONS + 1)  # inside day 5, resumed run
    rerun = _eod(url, workers)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()
    got, want = _snapshot(engine), _snapshot(twin)
    for table in SNAPSHOT:
        assert got[table] == want[table], f"{table} differs after the crash and re-run"
    assert len(got["outbox"]) > 0 and len(got["entries"]) > 0
