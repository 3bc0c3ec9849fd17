"""Serving the API: one process, or several each with its own listening socket.

``serve(host, port, workers=N)`` with N > 1 starts N uvicorn processes that each bind their own
socket to the same address with ``SO_REUSEPORT``; the kernel spreads new connections over them
by a hash of the connection's addresses. Uvicorn's own ``--workers`` shares one socket instead,
and whichever process is awake accepts: with keep-alive clients one process was seen to take
5,330 of 6,109 decisions while the other idled, so it ran at three quarters of a core and
queued (p99 latency is set by the busiest process, not the average). A request is decided
on its process's event loop (see ``origination.routes``); concurrency comes from processes.

The supervising process restarts a worker that dies, and stops them all on SIGINT or SIGTERM.
Where the platform has no ``SO_REUSEPORT``, uvicorn's own multi-process mode is used.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from types import FrameType
from typing import Any

from lendcore.api.app import create_app

# uvicorn's own worker mode imports the factory by name: the name of the imported object.
APP_FACTORY = f"{create_app.__module__}:{create_app.__qualname__}"
BACKLOG = 2048
RESTARTS_BEFORE_GIVING_UP = 5  # a worker that keeps dying within a second of starting


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def _worker(host: str, port: int, log_level: str, access_log: bool) -> None:
    import uvicorn

    sock = _listening_socket(host, port)
    config = uvicorn.Config(create_app, factory=True, log_level=log_level, access_log=access_log)
    uvicorn.Server(config).run(sockets=[sock])


def serve(host: str, port: int, *, workers: int = 1, log_level: str = "info",
          access_log: bool = True) -> None:
    import uvicorn

    if workers <= 1:
        uvicorn.run(create_app(), host=host, port=port, log_level=log_level,
                    access_log=access_log)
        return
    if not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, access_log=access_log)
        return
    _listening_socket(host, port).close()  # the address is free (or fail here, once)
    _supervise(host, port, workers, log_level, access_log)


def _supervise(host: str, port: int, workers: int, log_level: str, access_log: bool) -> None:
    ctx = multiprocessing.get_context("spawn")
    args = (host, port, log_level, access_log)
    stopping = False

    def start() -> Any:
        proc = ctx.Process(target=_worker, args=args, name="lendcore-api", daemon=False)
        proc.start()
        return proc, time.monotonic()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    procs = [start() for _ in range(workers)]
    quick_deaths = 0
    try:
        while not stopping:
            time.sleep(0.2)
            for i, (proc, started) in enumerate(procs):
                if proc.is_alive() or stopping:
                    continue
                quick_deaths = quick_deaths + 1 if time.monotonic() - started < 1 else 0
                if quick_deaths >= RESTARTS_BEFORE_GIVING_UP:
                    print(f"lendcore serve: a worker exited {quick_deaths} times at start "
                          f"(last exit code {proc.exitcode}); stopping", file=sys.stderr)
                    stopping = True
                    break
                procs[i] = start()
    finally:
        for proc, _ in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes in-flight requests, then exits
        for proc, _ in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()
