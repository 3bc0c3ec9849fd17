"""``lendcore serve --workers N``: N processes on one port, a dead worker replaced, all stopped
on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _workers(parent: psutil.Process) -> list[psutil.Process]:
    """The worker processes: children that are serving (the spawn context's resource tracker is
    a child too, but never listens)."""
    found = []
    for child in parent.children():
        try:
            if any(c.status == psutil.CONN_LISTEN for c in child.net_connections("tcp")):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_workers_share_the_port_are_replaced_when_they_die_and_stop_on_sigterm(
        tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "LENDCORE_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "from lendcore.cli import main; main()", "serve", "--port",
         str(port), "--workers", "2", "--log-level", "warning", "--no-access-log"], env=env)
    try:
        parent = psutil.Process(proc.pid)
        _wait_for(lambda: len(_workers(parent)) == 2)
        first = {w.pid for w in _workers(parent)}
        for _ in range(10):  # fresh connections, spread over both sockets by the kernel
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                assert client.get("/health").json() == {"status": "ok"}
        os.kill(next(iter(first)), signal.SIGKILL)
        _wait_for(lambda: len(_workers(parent)) == 2 and {w.pid for w in _workers(parent)}
                  != first)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert client.get("/health").status_code == 200
        workers = _workers(parent)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(workers, timeout=10)
        assert alive == []
    finally:
        if proc.poll() is None:
            proc.kill()
