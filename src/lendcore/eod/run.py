"""Running end of day: business date by business date, partitions in parallel, then the finish.

The business date in ``system_state`` is the *open* day. Closing day x moves it to x+1, so
``run_through(url, D)`` closes every day from the current business date up to and including D
and leaves the business date at D+1 (nothing to do if it is already past D).

For one day x: plan the partitions (once; the plan is stored, so a resumed run uses the same
ranges) -> close every pending partition (:mod:`lendcore.eod.partition`), on this machine's cores
(processes) or on a Dask cluster when ``LENDCORE_DASK_SCHEDULER`` is set -> finish in one
transaction (provisions, the report, business date x+1, run ``closed``) -> the after-day hooks
(each in its own transaction; a failing hook is listed as a problem) -> run ``done``.
Killed at any point and started again, it carries on where the database says it stopped.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import date, timedelta
from multiprocessing import get_context
from typing import Any

from sqlalchemy import Engine

from lendcore.config import dask_scheduler
from lendcore.eod import accounting
from lendcore.eod import store as eod_store
from lendcore.eod.partition import PartitionResult, close_partition
from lendcore.eod.report import DayReport, merge_stats
from lendcore.ledger.store import post_many
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork

ONE_DAY = timedelta(days=1)
# Called after each closed day as hook(uow, business_date) with the new (open) business date;
# dotted paths, skipped when they do not import. The lead wires these.
AFTER_DAY_HOOKS: list[str] = [
    "lendcore.collections.service:sync_cases",
    "lendcore.origination.limits_job:run",
]
Progress = Callable[[int], None]


def run_through(url: str, through: date, *, partitions: int | None = None,
                workers: int | None = None, progress: Progress | None = None,
                hooks: tuple[str, ...] | None = None) -> list[DayReport]:
    """Close every business day up to and including ``through``; one report per day closed.

    ``hooks`` replaces :data:`AFTER_DAY_HOOKS` (``()`` runs none).
    """
    engine = make_engine(url)
    try:
        upgrade(engine)
        return close_through(engine, url, through, partitions=partitions, workers=workers,
                             progress=progress, hooks=hooks)
    finally:
        engine.dispose()


def close_through(engine: Engine, url: str, through: date, *, partitions: int | None = None,
                  workers: int | None = None, progress: Progress | None = None,
                  hooks: tuple[str, ...] | None = None) -> list[DayReport]:
    """:func:`run_through` on an engine the caller keeps (schema already current): a caller
    closing one day at a time (the demo) pays no engine set-up or migration check per day."""
    reports: list[DayReport] = []
    with _executor(url, workers) as submit:
        while True:
            day = _next_day(engine)
            if day is None or day > through:
                return reports
            reports.append(run_day(engine, url, day, submit, partitions, progress,
                                   AFTER_DAY_HOOKS if hooks is None else hooks))


def _next_day(engine: Engine) -> date | None:
    """The day to close: the open business date, or a closed day whose hooks did not run."""
    with UnitOfWork(engine) as uow:
        last = eod_store.last_run(uow.conn)
        if last is not None and last.status == "closed":
            return date.fromisoformat(str(last.business_date))
        return eod_store.business_date(uow.conn)


# Runs close_partition over (url, day, lo, hi) tuples; yields results as they complete.
Submit = Callable[[list[tuple[str, date, int, int]]], Iterator[PartitionResult]]


def run_day(engine: Engine, url: str, day: date, submit: Submit, partitions: int | None,
            progress: Progress | None, hooks: Sequence[str] = ()) -> DayReport:
    started = time.perf_counter()
    pending = _plan(engine, day, partitions)
    for result in submit([(url, day, lo, hi) for lo, hi in pending]):
        if progress is not None:
            progress(result.loans)
    close_seconds = time.perf_counter() - started
    report = _finish(engine, day, close_seconds)
    report.problems += _run_hooks(engine, day, hooks)
    report.seconds["total"] = round(time.perf_counter() - started, 3)
    with UnitOfWork(engine) as uow:
        eod_store.close_run(uow.conn, day, "done", report.as_dict())
        uow.commit()
    return report


def _plan(engine: Engine, day: date, count: int | None) -> list[tuple[int, int]]:
    with UnitOfWork(engine) as uow:
        run = eod_store.run_row(uow.conn, day)
        if run is None:
            if eod_store.business_date(uow.conn) != day:
                raise RuntimeError(f"business date is not {day}")
            eod_store.plan_partitions(uow.conn, day, count)
            uow.commit()
        rows = eod_store.partitions(uow.conn, day, "pending")
        return [(int(r.lo_id), int(r.hi_id)) for r in rows]


def _finish(engine: Engine, day: date, close_seconds: float) -> DayReport:
    """Provisions, the report, and the business date, in one transaction (idempotent)."""
    with UnitOfWork(engine) as uow:
        conn = uow.conn
        run = eod_store.run_row(conn, day)
        if run.status != "running":
            return DayReport.from_dict(json.loads(run.report_json))
        parts = eod_store.partitions(conn, day)
        if any(p.status != "done" for p in parts):
            raise RuntimeError(f"{day}: partitions still pending; run again")
        report = merge_stats(day, [json.loads(p.stats_json) for p in parts])
        started = time.perf_counter()
        report.provision_fen = _provisions(conn, day, report.exposure)
        report.seconds["provisions"] = round(time.perf_counter() - started, 3)
        report.seconds["close_partitions"] = round(close_seconds, 3)
        eod_store.set_business_date(conn, day + ONE_DAY)
        eod_store.close_run(conn, day, "closed", report.as_dict())
        uow.commit()
        return report


def _provisions(conn: Any, day: date, exposure: dict[str, dict[str, int]]) -> dict[str, int]:
    allowance = accounting.allowances(exposure)
    today = {p: sum(by_class.values()) for p, by_class in allowance.items()}
    before = eod_store.last_allowances(conn, day)
    post_many(conn, accounting.provision_entries(day, today, before))
    rows = [{"product_code": p, "risk_class": c, "exposure_fen": exposure[p].get(c, 0),
             "rate_bp": accounting.PROVISION_BP[c], "allowance_fen": a}
            for p, by_class in allowance.items() for c, a in by_class.items()]
    rows += [{"product_code": p, "risk_class": "normal", "exposure_fen": 0,
              "rate_bp": accounting.PROVISION_BP["normal"], "allowance_fen": 0}
             for p in before if p not in allowance]
    eod_store.save_provisions(conn, day, rows)
    return {p: today.get(p, 0) - before.get(p, 0) for p in sorted(set(today) | set(before))}


def _run_hooks(engine: Engine, day: date, hooks: Sequence[str]) -> list[str]:
    problems = []
    for path in hooks:
        module_name, _, attr = path.partition(":")
        try:
            hook = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        try:
            with UnitOfWork(engine) as uow:
                hook(uow, day + ONE_DAY)
                uow.commit()
        except Exception as exc:  # a hook's failure is reported, the day stays closed
            problems.append(f"hook {path} failed: {type(exc).__name__}: {exc}")
    return problems


@contextmanager
def _executor(url: str, workers: int | None) -> Iterator[Submit]:
    address = dask_scheduler()
    if address:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(address) as client:  # type: ignore[no-untyped-call]
            def on_dask(jobs: list[tuple[str, date, int, int]]) -> Iterator[PartitionResult]:
                futures = [client.submit(close_partition, *job, pure=False) for job in jobs]
                for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                    yield future.result()

            yield on_dask
        return
    count = workers if workers is not None else _default_workers(url)
    if count <= 1:
        yield lambda jobs: (close_partition(*job) for job in jobs)
        return
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        def on_pool(jobs: list[tuple[str, date, int, int]]) -> Iterator[PartitionResult]:
            futures = [pool.submit(close_partition, *job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()

        yield on_pool


def _default_workers(url: str) -> int:
    # SQLite has one writer at a time and a partition is one write transaction: no gain.
    return 1 if url.startswith("sqlite") else min(os.cpu_count() or 1, 8)
