"""A throw-away PostgreSQL primary and synchronous standby, from the installed server binaries.

    with Cluster.start() as cluster:          # initdb, primary, pg_basebackup -R, standby
        url = cluster.url("lendcore")          # both hosts, target_session_attrs=read-write
        cluster.kill_primary()                 # SIGKILL to the primary's whole process group
        cluster.promote_standby()              # pg_promote(): the standby takes writes

Each server runs on its own port with its data folder (and socket) under one temporary folder,
removed with the servers whatever happens. The primary names every standby synchronous
(``synchronous_standby_names='*'``, ``synchronous_commit=on``): a commit returns only once the
standby has flushed it. That setting is made on the primary after the base backup (``ALTER
SYSTEM``, reloaded), so the standby has none: promoted and alone, it waits for no standby of its
own (and the databases are created before it, while there is no standby to wait for). Run as
root, the binaries run as the ``postgres`` user (the server refuses root). ``bindir()`` finds
the binaries (``LENDCORE_PG_BINDIR``, else ``pg_config --bindir``, else
``/usr/lib/postgresql/15/bin``).

``run_failover()`` is the failover scenario of ``tests/store/test_failover.py`` and
``benchmarks/bench_failover.py``: a book of loans, ``lendcore serve`` on both hosts, clients
posting repayments while the primary is killed and the standby promoted.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import Engine, func, select

from lendcore.access.operations import AddClient
from lendcore.clock import init_business_date
from lendcore.customers.operations import CreateCustomer, OpenLine
from lendcore.ledger.store import audit
from lendcore.merchants.operations import AddMerchant
from lendcore.runner import Context, execute
from lendcore.servicing.operations import Draw
from lendcore.store.core_tables import idempotency_keys
from lendcore.store.db import make_engine, upgrade
from lendcore.store.ledger_tables import journal_entries
from lendcore.store.servicing_tables import loan_events
from lendcore.store.uow import UnitOfWork

DEFAULT_BINDIR = "/usr/lib/postgresql/15/bin"
SERVER_USER = "postgres"  # the database role, and the OS user the servers run as under root
START_TIMEOUT_SECONDS = 30.0


def bindir() -> Path | None:
    """The folder holding initdb, postgres and pg_basebackup, or None if there is none."""
    candidates = [os.environ.get("LENDCORE_PG_BINDIR", "")]
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                               check=False)
        candidates.append(found.stdout.strip())
    candidates.append(DEFAULT_BINDIR)
    for candidate in candidates:
        if candidate and all((Path(candidate) / b).is_file()
                             for b in ("initdb", "postgres", "pg_basebackup")):
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user() -> dict[str, Any]:
    """Popen arguments that run a binary as ``postgres`` when this process is root."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(SERVER_USER)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


@dataclass
class Server:
    name: str
    port: int
    data: Path
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.data.parent / f"{self.name}.log"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SERVER_USER} dbname={dbname}"

    def connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=5)


@dataclass
class Cluster:
    """A primary and one synchronous standby of it, both running."""

    root: Path
    bindir: Path
    primary: Server
    standby: Server

    @classmethod
    @contextmanager
    def start(cls, databases: tuple[str, ...] = ("lendcore",)) -> Iterator[Cluster]:
        """Both servers running and in sync, with ``databases`` created; stopped and removed
        on leaving (an error included)."""
        found = bindir()
        if found is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, postgres, "
                                    "pg_basebackup); set LENDCORE_PG_BINDIR")
        root = Path(tempfile.mkdtemp(prefix="lendcore-pgcluster-"))
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, found, Server("primary", free_port(), root / "primary"),
                      Server("standby", free_port(), root / "standby"))
        try:
            cluster._build(databases)
            yield cluster
        finally:
            cluster.stop()
            shutil.rmtree(root, ignore_errors=True)

    def url(self, dbname: str = "lendcore") -> str:
        """lendcore's database URL: both servers, the one taking writes chosen at connect."""
        hosts = "&".join(f"host=127.0.0.1:{s.port}" for s in (self.primary, self.standby))
        return (f"postgresql+psycopg://{SERVER_USER}@/{dbname}?{hosts}"
                "&target_session_attrs=read-write")

    def _run(self, *args: str) -> None:
        done = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              check=False, cwd=self.root, **_as_server_user())
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): "
                               f"{done.stderr.decode(errors='replace')[-2000:]}")

    def _build(self, databases: tuple[str, ...]) -> None:
        self._run("initdb", "-D", str(self.primary.data), "-U", SERVER_USER, "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with (self.primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        self._launch(self.primary, "-c", "wal_level=replica", "-c", "max_wal_senders=4",
                     "-c", "synchronous_commit=on")
        with self.primary.connect() as conn:
            for name in databases:
                conn.execute(f'CREATE DATABASE "{name}"')
        self._run("pg_basebackup", "-D", str(self.standby.data), "-R", "-X", "stream",
                  "-c", "fast", "-h", "127.0.0.1", "-p", str(self.primary.port),
                  "-U", SERVER_USER, "--no-sync")
        self._launch(self.standby)
        with self.primary.connect() as conn:  # after the base backup: the standby has none
            conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
            conn.execute("SELECT pg_reload_conf()")
        self._wait_until_synchronous()

    def _launch(self, server: Server, *settings: str) -> None:
        """Start ``postgres`` in a session of its own (its backends share its process group,
        so one ``killpg`` kills the whole server) and wait until it accepts connections."""
        with server.log.open("ab") as log:
            server.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(server.data), "-p", str(server.port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root}",
                 "-c", "shared_buffers=32MB", "-c", "max_connections=60", *settings],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                **_as_server_user())
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                with server.connect():
                    return
            except psycopg.OperationalError as exc:
                if server.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{server.name} did not start: "
                                       f"{server.log.read_text(errors='replace')[-2000:]}"
                                       ) from exc
                time.sleep(0.05)

    def _wait_until_synchronous(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        with self.primary.connect() as conn:
            while True:
                row = conn.execute("SELECT count(*) FROM pg_stat_replication "
                                   "WHERE sync_state = 'sync' AND state = 'streaming'").fetchone()
                if row is not None and row[0] == 1:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError("the standby did not become synchronous")
                time.sleep(0.05)

    def kill_primary(self) -> None:
        """SIGKILL to the primary's postmaster and every backend (its process group)."""
        process = self.primary.process
        assert process is not None
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def promote_standby(self) -> float:
        """Promote the standby (``pg_promote()``, waiting until it takes writes); seconds."""
        started = time.perf_counter()
        with self.standby.connect() as conn:
            row = conn.execute("SELECT pg_promote(wait => true, wait_seconds => 30)").fetchone()
        if row is None or row[0] is not True:
            raise RuntimeError("the standby was not promoted within 30 s")
        return time.perf_counter() - started

    def stop(self) -> None:
        """Stop both servers (fast shutdown, then SIGKILL to any left)."""
        for server in (self.primary, self.standby):
            process = server.process
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# --- the failover scenario: lendcore serving repayments while the primary dies ----------------
BOOK_DAY = date(2026, 3, 2)
BOOK_LOANS = 8
REPAYMENT_FEN = 100
REPAYMENT_YUAN = "1.00"  # REPAYMENT_FEN as the API takes it
SETUP_CTX = Context(now=datetime(2026, 3, 2, 2, 0, tzinfo=UTC), actor="failover-test")
CLIENT_THREADS = 4


@dataclass
class Posted:
    """One repayment as the client saw it: its key, every answer, when the 2xx came."""

    key: str
    loan_id: int
    sent_at: float
    statuses: list[str] = field(default_factory=list)  # "201", "503", "ConnectError", ...
    acked_at: float | None = None
    result: dict[str, Any] | None = None


@dataclass
class Outcome:
    posted: list[Posted]
    killed_at: float
    promote_seconds: float
    rto_seconds: float  # from the kill to the first 2xx of a repayment sent after it
    lost_acknowledged: list[str]  # RPO: keys answered 2xx but not in the database
    applied_twice: list[str]
    events_per_loan: dict[int, int]
    keys_per_loan: dict[int, int]
    ledger_commands_per_loan: dict[int, int]
    audit_problems: list[Any]
    replays_changed: list[str]  # keys whose retry after the run did not return the first result
    outage_answer: httpx.Response | None  # a repayment posted between the kill and the promotion


def build_book(engine: Engine, loans: int = BOOK_LOANS) -> tuple[list[int], str]:
    """``loans`` cash-line loans and a payment gateway's API key (which may post repayments)."""
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, BOOK_DAY)
        uow.commit()
    execute(engine, AddMerchant("mi-mall", "小米商城", "electronics"), ctx=SETUP_CTX)
    loan_ids = []
    for n in range(loans):
        cid = execute(engine, CreateCustomer(), ctx=SETUP_CTX)["customer_id"]
        line = execute(engine, OpenLine(cid, "cash-line", 5_000_000), ctx=SETUP_CTX)
        loan = execute(engine, Draw(line["line_id"], 4_000_000, 12, "travel", "mi-mall"),
                       ctx=SETUP_CTX, key=f"draw-{n}")
        loan_ids.append(int(loan["loan_id"]))
    key = execute(engine, AddClient("gateway-1", "gateway"), ctx=SETUP_CTX)["api_key"]
    return loan_ids, str(key)


@contextmanager
def lendcore_server(url: str, log: Path) -> Iterator[str]:
    """``lendcore serve`` (one process, real HTTP) on ``url``; its base URL. Stopped on leaving."""
    port = free_port()
    env = {**os.environ, "LENDCORE_DATABASE_URL": url, "LENDCORE_MODE": "development"}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from lendcore.cli import main; main()", "serve", "--port",
             str(port), "--log-level", "warning", "--no-access-log"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"lendcore serve did not start: "
                                   f"{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post_until_acknowledged(client: httpx.Client, item: Posted, deadline: float) -> None:
    """POST one repayment, and again with the same key after each 5xx or lost answer, until a
    2xx (or ``deadline``). A 4xx is recorded and ends the attempts (it would be a bug here)."""
    while time.perf_counter() < deadline:
        try:
            response = client.post(f"/loans/{item.loan_id}/repayments",
                                   json={"amount": REPAYMENT_YUAN},
                                   headers={"Idempotency-Key": item.key})
        except httpx.TransportError as exc:
            item.statuses.append(type(exc).__name__)
            time.sleep(0.05)
            continue
        item.statuses.append(str(response.status_code))
        if response.is_success:
            item.acked_at = time.perf_counter()
            item.result = response.json()
            return
        if response.status_code < 500:
            return
        # Retry-After (1 s), capped: the RTO measured is the server's, not this client's wait.
        time.sleep(min(float(response.headers.get("Retry-After", "1")), 0.2))


def run_failover(*, before_seconds: float = 2.0, after_seconds: float = 2.0,
                 probe_outage: bool = False, workdir: Path | None = None) -> Outcome:
    """The whole scenario on a fresh cluster; what the client saw and what the database holds.

    Four client threads post repayments (each its own key) on the book's loans; after
    ``before_seconds`` the primary is killed, then the standby promoted (with ``probe_outage``,
    one repayment is posted in between and its answer kept); the clients go on for
    ``after_seconds``, each retrying an unanswered or 5xx request with its key until a 2xx.
    Then every acknowledged key is posted again, and the database is read."""
    with Cluster.start() as cluster:
        url = cluster.url()
        engine = make_engine(url)
        try:
            loan_ids, api_key = build_book(engine)
        finally:
            engine.dispose()
        with lendcore_server(url, (workdir or cluster.root) / "lendcore-serve.log") as base:
            posted = _post_through_failover(cluster, base, api_key, loan_ids, before_seconds,
                                            after_seconds, probe_outage)
            killed_at, promote_seconds, items, outage_answer = posted
            replays_changed = _replay_all(base, api_key, items)
        outcome = _outcome(url, items, killed_at, promote_seconds, replays_changed)
        outcome.outage_answer = outage_answer
        return outcome


def _post_through_failover(cluster: Cluster, base: str, api_key: str, loan_ids: list[int],
                           before_seconds: float, after_seconds: float, probe_outage: bool,
                           ) -> tuple[float, float, list[Posted], httpx.Response | None]:
    items: list[Posted] = []
    lock = threading.Lock()
    stop = threading.Event()
    deadline = time.perf_counter() + before_seconds + after_seconds + 30.0

    def client_loop(worker: int) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": api_key}, timeout=10) as client:
            n = 0
            while not stop.is_set():
                item = Posted(f"fo-{worker}-{n}", loan_ids[(worker + n) % len(loan_ids)],
                              time.perf_counter())
                with lock:
                    items.append(item)
                post_until_acknowledged(client, item, deadline)
                n += 1

    threads = [threading.Thread(target=client_loop, args=(w,), daemon=True)
               for w in range(CLIENT_THREADS)]
    for t in threads:
        t.start()
    time.sleep(before_seconds)
    killed_at = time.perf_counter()
    cluster.kill_primary()
    outage_answer = None
    if probe_outage:  # no server takes writes now: the answer must be a 503, not a 500
        with httpx.Client(base_url=base, headers={"X-API-Key": api_key}, timeout=10) as client:
            outage_answer = client.post(f"/loans/{loan_ids[0]}/repayments",
                                        json={"amount": "1.00"},
                                        headers={"Idempotency-Key": "probe-during-outage"})
    promote_seconds = cluster.promote_standby()
    time.sleep(after_seconds)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return killed_at, promote_seconds, items, outage_answer


def _replay_all(base: str, api_key: str, items: list[Posted]) -> list[str]:
    """Every acknowledged key sent again: each must return its first result, nothing applied."""
    changed = []
    with httpx.Client(base_url=base, headers={"X-API-Key": api_key}, timeout=10) as client:
        for item in items:
            if item.result is None:
                continue
            again = Posted(item.key, item.loan_id, time.perf_counter())
            post_until_acknowledged(client, again, time.perf_counter() + 10)
            if again.result != item.result:
                changed.append(item.key)
    return changed


def _outcome(url: str, items: list[Posted], killed_at: float, promote_seconds: float,
             replays_changed: list[str]) -> Outcome:
    after = [i.acked_at for i in items if i.sent_at >= killed_at and i.acked_at is not None]
    rto = min(after) - killed_at if after else float("inf")
    keys = [i.key for i in items]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            stored = Counter(r.key for r in conn.execute(
                select(idempotency_keys.c.key).where(idempotency_keys.c.command == "repay",
                                                     idempotency_keys.c.key.in_(keys))))
            events: dict[int, int] = dict(conn.execute(
                select(loan_events.c.loan_id, func.count()).where(loan_events.c.kind == "repayment")
                .group_by(loan_events.c.loan_id)).all())
            commands = func.count(journal_entries.c.source_key.distinct())
            ledger: dict[int, int] = dict(conn.execute(
                select(journal_entries.c.loan_id, commands)
                .where(journal_entries.c.source_key.like("repay:%"))
                .group_by(journal_entries.c.loan_id)).all())
            problems = audit(conn)
    finally:
        engine.dispose()
    return Outcome(
        posted=items, killed_at=killed_at, promote_seconds=promote_seconds, rto_seconds=rto,
        lost_acknowledged=[i.key for i in items if i.acked_at is not None and not stored[i.key]],
        applied_twice=[k for k, n in stored.items() if n > 1],
        events_per_loan={int(k): int(v) for k, v in events.items()},
        keys_per_loan=dict(Counter(i.loan_id for i in items if stored[i.key])),
        ledger_commands_per_loan={int(k): int(v) for k, v in ledger.items()},
        audit_problems=list(problems), replays_changed=replays_changed, outage_answer=None)
