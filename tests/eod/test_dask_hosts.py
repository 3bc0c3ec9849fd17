"""The night on a Dask cluster whose scheduler and workers are separate hosts, one of which is
lost mid-night: the book comes out the same as after an undisturbed night.

The hosts are network namespaces on a bridge (``tests/eod/hosts.py``): ``dask scheduler`` on one,
``dask worker`` (nanny, one process, one thread) on each of two others, PostgreSQL (a server of
the test's own) in the root namespace on the bridge's address, where the test drives the night
as a Dask client of ``tcp://<scheduler>:8786``. Everything crosses real TCP.

The disturbed night is made deterministic with a row lock: before the run the test locks one
loan in the middle of the book (``SELECT ... FOR UPDATE``), so the worker that takes that loan's
partition stops inside its transaction (partition row claimed, loan rows half updated, nothing
committed). Once the first partition's result is in, the test finds that transaction in
``pg_stat_activity`` (its client address names the worker host), SIGKILLs every process of that
host, waits until the scheduler has handed the partition to the other worker and the other
worker's transaction is waiting for the dead one's partition-row lock (the partition now runs
twice, concurrently), then releases its lock. The dead worker's backend finds its client gone and
rolls back (``pg_xact_status`` = aborted); the surviving worker closes the partition once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from lendcore import wiring
from lendcore.eod.run import run_through
from lendcore.ledger.store import audit
from lendcore.store.db import make_engine, upgrade
from lendcore_tools.portfolio.generate import generate
from tests.eod import hosts
from tests.eod.conftest import BUSINESS_DATE

LOANS = 3000
PARTITIONS = 8
WORKERS = ("worker1", "worker2")
REPO = str(Path(__file__).resolve().parents[2])

pytestmark = pytest.mark.slow


@dataclass
class Lab:
    net: hosts.Network
    server: str  # postgresql+psycopg://postgres@<bridge>:<port>
    scheduler: str  # tcp://<scheduler host>:8786

    def worker_at(self, address: str) -> hosts.Host:
        return next(self.net.hosts[w] for w in WORKERS if self.net.hosts[w].address == address)

    def wait_for_workers(self) -> None:
        from distributed import Client

        with Client(self.scheduler, timeout="60s") as client:  # type: ignore[no-untyped-call]
            try:
                client.wait_for_workers(len(WORKERS), timeout=60)
            except TimeoutError:
                pytest.fail("the workers did not join:\n" + "\n".join(
                    self.net.hosts[w].log(f"{w}.log")[-3000:] for w in (*WORKERS, "scheduler")))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Three hosts (scheduler, worker1, worker2), the cluster starting on them, and the test's
    PostgreSQL server on the bridge; all gone afterwards, however the test ends."""
    reason = hosts.unavailable()
    if reason is not None:
        if os.environ.get("CI") and os.geteuid() == 0:
            pytest.fail(f"CI runs as root but cannot build namespaced hosts: {reason}")
        pytest.skip(f"namespaced hosts unavailable: {reason}")
    logs = tmp_path_factory.mktemp("hosts")
    env = {k: v for k, v in os.environ.items() if k != "LENDCORE_DASK_SCHEDULER"}
    env["LENDCORE_MODE"] = "development"
    previous = signal.signal(signal.SIGTERM, _interrupt)  # a terminated run still cleans up
    try:
        with hosts.network(("scheduler", *WORKERS), logs) as net:
            # The cluster starts while PostgreSQL is made and the books generated.
            scheduler = hosts.start_dask(net, "scheduler", WORKERS, env, REPO)
            with hosts.postgres(net.gateway, net.subnet, logs) as server:
                yield Lab(net, server, scheduler)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _admin(lab: Lab) -> Engine:
    return create_engine(f"{lab.server}/postgres", isolation_level="AUTOCOMMIT")


def _books(lab: Lab) -> tuple[str, str]:
    """Two identical generated books: ``calm`` and ``stormy`` (copies of one by TEMPLATE)."""
    book = f"{lab.server}/book"
    admin = _admin(lab)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE book")
        engine = make_engine(book)
        upgrade(engine)
        engine.dispose()
        generate(book, LOANS, 7, BUSINESS_DATE, workers=1)
        with admin.connect() as conn:
            for name in ("calm", "stormy"):
                conn.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE book")
    finally:
        admin.dispose()
    return f"{lab.server}/calm", f"{lab.server}/stormy"


# Content, not surrogate keys: journal entry, case, outbox and limit-change ids come from
# sequences, which a rolled-back transaction advances; timings are left out of the reports.
SNAPSHOT = {
    "loans": "SELECT to_jsonb(t)::text FROM loans t",
    "installments": "SELECT to_jsonb(t)::text FROM installments t",
    "credit_lines": "SELECT to_jsonb(t)::text FROM credit_lines t",
    "limit_changes": "SELECT (to_jsonb(t) - 'id')::text FROM limit_changes t",
    "outbox": "SELECT (to_jsonb(t) - 'id')::text FROM notification_outbox t",
    "entries": "SELECT jsonb_build_object('entry', to_jsonb(e) - 'id' - 'reversal_of', "
               "'postings', (SELECT jsonb_agg(to_jsonb(p) - 'entry_id' ORDER BY p.line) "
               "FROM postings p WHERE p.entry_id = e.id))::text FROM journal_entries e",
    "cases": "SELECT (to_jsonb(t) - 'id')::text FROM collection_cases t",
    "case_history": "SELECT (to_jsonb(h) - 'id' - 'case_id' || jsonb_build_object("
                    "'customer_id', c.customer_id))::text FROM collection_case_history h "
                    "JOIN collection_cases c ON c.id = h.case_id",
    "provisions": "SELECT to_jsonb(t)::text FROM eod_provisions t",
    "partitions": "SELECT (to_jsonb(t) || jsonb_build_object('stats_json', "
                  "t.stats_json::jsonb - 'seconds'))::text FROM eod_partitions t",
    "runs": "SELECT (to_jsonb(t) || jsonb_build_object('report_json', "
            "t.report_json::jsonb - 'seconds'))::text FROM eod_runs t",
    "state": "SELECT to_jsonb(t)::text FROM system_state t",
}


def _snapshot(url: str) -> dict[str, list[str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {name: sorted(r[0] for r in conn.exec_driver_sql(sql))
                    for name, sql in SNAPSHOT.items()}
    finally:
        engine.dispose()


def _audit(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(audit(conn))
    finally:
        engine.dispose()


def _wait_for(conn: Connection, sql: str, timeout_s: float, what: str,
              **params: object) -> list[tuple[object, ...]]:
    """Poll ``sql`` (autocommit) until it returns rows."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = [tuple(r) for r in conn.execute(text(sql), params)]
        if rows:
            return rows
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


BLOCKED_BY = ("SELECT pid, host(client_addr), backend_xid::text FROM pg_stat_activity "
              "WHERE datname = current_database() AND :blocker = ANY(pg_blocking_pids(pid))")


@dataclass
class Loss:
    """Kills the worker host stuck on the held loan, once the first result is in."""

    lab: Lab
    monitor: Connection  # autocommit, on the stormy book
    holder: Connection  # the transaction holding the loan's row lock
    results: list[int] = field(default_factory=list)
    victim: hosts.Host | None = None
    victim_xid: str = ""
    victim_status: str = ""
    rerun_from: str = ""

    def __call__(self, loans: int) -> None:
        self.results.append(loans)
        if self.victim is not None:
            return
        holder_pid = self.holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        [(pid, address, xid)] = _wait_for(self.monitor, BLOCKED_BY, 60,
                                          "a worker stuck on the held loan", blocker=holder_pid)
        self.victim, self.victim_xid = self.lab.worker_at(str(address)), str(xid)
        self.victim.kill()  # the whole host: nanny and worker process
        # The scheduler hands the partition to the other worker, which waits for the partition
        # row the dead worker's transaction still holds: two runs of one partition at once.
        [(_pid, rerun_from, _xid)] = _wait_for(self.monitor, BLOCKED_BY, 60,
                                               "the partition's second run", blocker=pid)
        self.rerun_from = str(rerun_from)
        self.holder.rollback()  # the dead worker's backend goes on, finds no client, aborts
        _wait_for(self.monitor, "SELECT 1 WHERE NOT EXISTS (SELECT FROM pg_stat_activity "
                  "WHERE pid = :pid)", 30, "the dead worker's backend to end", pid=pid)
        # backend_xid is the 32-bit xid; on a fresh server (epoch 0) it is also the xid8.
        self.victim_status = str(self.monitor.execute(
            text("SELECT pg_xact_status(CAST(:xid AS xid8))"), {"xid": xid}).scalar_one())


@contextmanager
def _watchdog(url: str, holder: Connection, seconds: float) -> Iterator[None]:
    """If the night is still stuck on the held lock after ``seconds``, end the holder's session
    (the run then finishes, and the test fails on what it did not see) instead of hanging."""
    pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    done = threading.Event()

    def release() -> None:
        if done.wait(seconds):
            return
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            engine.dispose()

    guard = threading.Thread(target=release, daemon=True)
    guard.start()
    try:
        yield
    finally:
        done.set()
        guard.join()


def _worker_addresses(url: str, database: str) -> set[str]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text(
                "SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE datname = :db "
                "AND client_addr IS NOT NULL AND pid <> pg_backend_pid()"), {"db": database})}
    finally:
        engine.dispose()


def test_a_worker_host_lost_mid_night_gives_the_undisturbed_night(
        lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    calm, stormy = _books(lab)
    assert _snapshot(calm) == _snapshot(stormy)
    lab.wait_for_workers()
    monkeypatch.setenv("LENDCORE_DASK_SCHEDULER", lab.scheduler)
    workers = {lab.net.hosts[w].address for w in WORKERS}

    [report] = run_through(calm, BUSINESS_DATE, partitions=PARTITIONS,
                           steps=wiring.night_steps())
    assert report.partitions == PARTITIONS and report.loans > 0
    # Both worker hosts closed partitions, over TCP from their own addresses (their engines
    # keep the connections they used).
    assert _worker_addresses(calm, "calm") == workers

    engine = create_engine(stormy)
    monitor_engine = create_engine(stormy, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as holder, monitor_engine.connect() as monitor:
            # Chosen first, then locked alone: FOR UPDATE under OFFSET locks the skipped rows.
            held = monitor.exec_driver_sql(
                "SELECT id FROM loans WHERE status <> 'closed' ORDER BY id "
                f"OFFSET {LOANS // 2} LIMIT 1").scalar_one()
            holder.execute(text("SELECT id FROM loans WHERE id = :id FOR UPDATE"), {"id": held})
            loss = Loss(lab, monitor, holder)
            with _watchdog(stormy, holder, seconds=120):
                [stormy_report] = run_through(stormy, BUSINESS_DATE, partitions=PARTITIONS,
                                              steps=wiring.night_steps(), progress=loss)
            held_partition = monitor.execute(text(
                "SELECT status, loans FROM eod_partitions WHERE business_date = :day "
                "AND :loan BETWEEN lo_id AND hi_id"), {"day": BUSINESS_DATE, "loan": held}).one()
    finally:
        engine.dispose()
        monitor_engine.dispose()

    assert loss.victim is not None and loss.victim.pids() == []
    survivor = (workers - {loss.victim.address}).pop()
    assert loss.rerun_from == survivor, "the lost worker's partition ran again on the other"
    assert loss.victim_status == "aborted", "the lost worker's transaction was not rolled back"
    assert held_partition.status == "done" and held_partition.loans > 0
    assert stormy_report.partitions == PARTITIONS and stormy_report.loans == report.loans

    got, want = _snapshot(stormy), _snapshot(calm)
    for table in SNAPSHOT:
        assert got[table] == want[table], f"{table} differs after losing a worker host"
    assert len(want["entries"]) > 0 and len(want["outbox"]) > 0
    assert _audit(calm) == [] and _audit(stormy) == []
