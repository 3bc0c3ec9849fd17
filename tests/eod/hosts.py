"""Hosts for tests, made of Linux network namespaces: each host has its own network stack and
IP address, joined to the others by a bridge in the root namespace (where the test runs).

    root namespace (the test, PostgreSQL)  10.A.B.1 on bridge lcb<token>
      ├── veth ── namespace lendcore-<token>-scheduler  10.A.B.2
      ├── veth ── namespace lendcore-<token>-worker1    10.A.B.3
      └── veth ── namespace lendcore-<token>-worker2    10.A.B.4

A program started on a host (``Host.start``) runs under ``ip netns exec``; it sees only that
host's interfaces, so everything it says to the others goes over real TCP through the bridge.
``Host.kill`` SIGKILLs every process of the namespace: the machine is lost. Names carry a random
token and the /24 is chosen among unused ones, so two runs on one machine do not collide;
everything (processes, links, namespaces, the PostgreSQL data folder) is removed on exit, however
the test ends.

Needs root and ``ip netns`` (iproute2); :func:`unavailable` says why not, or None.
"""

from __future__ import annotations

import ipaddress
import json
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

IP = shutil.which("ip") or "/usr/sbin/ip"


def unavailable() -> str | None:
    """Why namespaced hosts cannot be built here, or None if they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if not os.path.exists(IP):
        return "`ip` (iproute2) is not installed"
    probe = f"lendcore-probe-{uuid.uuid4().hex[:8]}"
    made = subprocess.run([IP, "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` is not permitted here: {made.stderr.strip()}"
    subprocess.run([IP, "netns", "delete", probe], capture_output=True, check=False)
    return None


def _ip(*args: str, netns: str | None = None) -> str:
    argv = [IP, *(("-n", netns) if netns else ()), *args]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Host:
    """One namespace: a machine with one address on the test network."""

    name: str  # the namespace
    address: str
    logs: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, argv: Sequence[str], *, env: dict[str, str], log: str,
              cwd: str | None = None) -> subprocess.Popen[bytes]:
        """Run ``argv`` on this host (``ip netns exec``), output to ``<logs>/<log>``."""
        with open(self.logs / log, "ab") as out:
            proc = subprocess.Popen([IP, "netns", "exec", self.name, *argv], env=env, cwd=cwd,
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(proc)
        return proc

    def pids(self) -> list[int]:
        return [int(p) for p in _ip("netns", "pids", self.name).split()]

    def kill(self) -> None:
        """SIGKILL every process in the namespace (a nanny's children included), until none is
        left: the machine is gone, its TCP connections closed by its kernel."""
        deadline = time.monotonic() + 10
        while pids := self.pids():
            for pid in pids:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                raise RuntimeError(f"host {self.name}: processes {pids} survive SIGKILL")
            time.sleep(0.02)
        for proc in self.processes:
            proc.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.logs / name
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class Network:
    """The bridge, its /24 and the hosts on it; ``gateway`` is the root namespace's address."""

    token: str
    bridge: str
    subnet: ipaddress.IPv4Network
    gateway: str
    hosts: dict[str, Host]


def _used_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    used: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for entry in json.loads(_ip("-j", "-4", "addr") or "[]"):
        for info in entry.get("addr_info", []):
            used.append(ipaddress.ip_interface(f"{info['local']}/{info['prefixlen']}").network)
    for route in json.loads(_ip("-j", "-4", "route", "show", "table", "all") or "[]"):
        dst = route.get("dst", "")
        if dst and dst != "default":
            used.append(ipaddress.ip_network(dst if "/" in dst else f"{dst}/32", strict=False))
    return used


def _free_subnet() -> ipaddress.IPv4Network:
    used = _used_networks()
    for _ in range(200):
        candidate = ipaddress.IPv4Network(
            f"10.{random.randint(200, 254)}.{random.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise RuntimeError("no free 10.200-254.x.0/24 for the test network")


@contextmanager
def network(names: Sequence[str], logs: Path) -> Iterator[Network]:
    """A bridge and one namespace per name, each with its own address; all removed on exit."""
    token = uuid.uuid4().hex[:6]
    bridge = f"lcb{token}"
    subnet = _free_subnet()
    addresses = [str(a) for a in subnet.hosts()]
    hosts: dict[str, Host] = {}
    with ExitStack() as stack:
        _ip("link", "add", bridge, "type", "bridge")
        stack.callback(_ip, "link", "delete", bridge)
        _ip("addr", "add", f"{addresses[0]}/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for i, name in enumerate(names, start=1):
            host = Host(f"lendcore-{token}-{name}", addresses[i], logs)
            _ip("netns", "add", host.name)
            stack.callback(_ip, "netns", "delete", host.name)
            outside, inside = f"lc{token}h{i}", f"lc{token}n{i}"
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            stack.callback(_delete_link, outside)
            stack.callback(host.kill)  # runs first: no process outlives its namespace
            _ip("link", "set", inside, "netns", host.name)
            _ip("link", "set", outside, "master", bridge)
            _ip("link", "set", outside, "up")
            _ip("addr", "add", f"{host.address}/24", "dev", inside, netns=host.name)
            _ip("link", "set", inside, "up", netns=host.name)
            _ip("link", "set", "lo", "up", netns=host.name)
            hosts[name] = host
        yield Network(token, bridge, subnet, addresses[0], hosts)


def _delete_link(name: str) -> None:
    # The veth pair goes with its namespace's end; delete it only if it is still there.
    if subprocess.run([IP, "link", "show", name], capture_output=True).returncode == 0:
        _ip("link", "delete", name)


def _wait_for_postgres(address: str, port: int, timeout_s: float,
                       server: subprocess.Popen[bytes]) -> None:
    """Until the server answers a query (it accepts TCP while still starting up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(host=address, port=port, user="postgres", dbname="postgres",
                                 connect_timeout=2) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if server.poll() is not None:
                raise RuntimeError(f"postgres exited with {server.returncode}") from exc
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres on {address}:{port}: {exc}") from exc
            time.sleep(0.05)


def _free_port(address: str) -> int:
    with socket.socket() as s:
        s.bind((address, 0))
        return int(s.getsockname()[1])


def _pg_bindir() -> Path:
    config = shutil.which("pg_config")
    if config:
        out = subprocess.run([config, "--bindir"], capture_output=True, text=True, check=True)
        return Path(out.stdout.strip())
    return Path("/usr/lib/postgresql/15/bin")


@contextmanager
def postgres(listen: str, clients: ipaddress.IPv4Network, logs: Path) -> Iterator[str]:
    """A PostgreSQL server of our own (the machine's binaries, run as the ``postgres`` user,
    since initdb refuses root): data in a fresh temporary folder, listening on ``listen`` only,
    on a free port, trust for user postgres from ``clients``; its unix socket in the data folder,
    so the system server is not touched. Yields ``postgresql+psycopg://postgres@listen:port``
    (append ``/database``). Stopped and its folder removed on exit."""
    bindir = _pg_bindir()
    account = pwd.getpwnam("postgres")
    data = Path(tempfile.mkdtemp(prefix="lendcore-pg-"))
    uid, gid = account.pw_uid, account.pw_gid
    try:
        os.chown(data, uid, gid)
        subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C.UTF-8"],
                       capture_output=True, check=True, cwd=data, user=uid, group=gid,
                       extra_groups=[])
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all postgres {clients} trust\n")
        port = _free_port(listen)
        with open(logs / "postgres.log", "ab") as log:
            server = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-c", f"listen_addresses={listen}",
                 "-c", f"port={port}", "-c", f"unix_socket_directories={data}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=60",
                 "-c", "log_min_messages=info"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=data, start_new_session=True, user=uid, group=gid, extra_groups=[])
        try:
            _wait_for_postgres(listen, port, 60, server)
            yield f"postgresql+psycopg://postgres@{listen}:{port}"
        finally:
            # Immediate shutdown: no checkpoint, the folder is thrown away.
            server.send_signal(signal.SIGQUIT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    finally:
        shutil.rmtree(data, ignore_errors=True)


DASK = str(Path(sys.executable).with_name("dask"))
SCHEDULER_PORT = 8786


def start_dask(net: Network, scheduler: str, workers: Sequence[str],
               env: dict[str, str], cwd: str) -> str:
    """Start ``dask scheduler`` on host ``scheduler`` and one ``dask worker`` (a nanny and its
    worker process, one thread, lendcore's partition module preloaded) on each of ``workers``,
    each bound to its host's address, without
    waiting (a worker keeps trying the scheduler until ``--death-timeout``); the scheduler's
    address ``tcp://ip:8786``. The processes die with their hosts (:func:`network`'s exit)."""
    head = net.hosts[scheduler]
    address = f"tcp://{head.address}:{SCHEDULER_PORT}"
    head.start([DASK, "scheduler", "--host", head.address, "--port", str(SCHEDULER_PORT),
                "--no-dashboard"], env=env, log="scheduler.log", cwd=cwd)
    for name in workers:
        host = net.hosts[name]
        host.start([DASK, "worker", address, "--host", host.address, "--name", name,
                    "--nworkers", "1", "--nthreads", "1", "--nanny", "--no-dashboard",
                    "--preload", "lendcore.eod.partition",  # imported at start, not on task 1
                    "--death-timeout", "120", "--local-directory", str(host.logs / name)],
                   env=env, log=f"{name}.log", cwd=cwd)
    return address
