"""Running end of day: business date by business date, partitions in parallel, the finish,
then the night's steps.

The business date (:mod:`lendcore.clock`) is the *open* day. Closing day x moves it to x+1, so
``run_through(url, D, steps=...)`` closes every day from the current business date up to and
including D and leaves the business date at D+1 (nothing to do if it is already past D).

For one day x: plan the partitions (once; the plan is stored, so a resumed run uses the same
ranges) -> close every pending partition (:mod:`lendcore.eod.partition`), on this machine's cores
(processes) or on a Dask cluster when ``LENDCORE_DASK_SCHEDULER`` is set -> finish in one
transaction (provisions, the report, business date x+1, run ``closed``) -> each night step
(:mod:`lendcore.eod.steps`) over the same partitions, side by side on the same workers, one unit of
work per step and partition -> run ``done``. A failing step stops the night with
:class:`NightStepFailed` (the day stays ``closed``). Killed or stopped at any point and started
again, it carries on where the database says it stopped: a ``closed`` day's steps run again first.

Given a clock (the CLI's), a day after today's date in the lender's zone is refused before
anything is touched: the night closes days that have begun, never tomorrow.
"""

from __future__ import annotations

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

from lendcore.clock import LENDER_ZONE, Clock, advance_business_date, business_date
from lendcore.config import dask_scheduler
from lendcore.eod import accounting
from lendcore.eod import store as eod_store
from lendcore.eod.partition import close_partition
from lendcore.eod.report import DayReport, merge_stats
from lendcore.eod.steps import NightStep, NightStepFailed, check_steps, run_step
from lendcore.errors import InvalidInput
from lendcore.ledger.store import post_many
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork

ONE_DAY = timedelta(days=1)
Progress = Callable[[int], None]


def check_through(through: date, clock: Clock) -> None:
    """Refuse to close a day after today's date on ``clock`` (in the lender's zone)."""
    today = clock.now().astimezone(LENDER_ZONE).date()
    if through > today:
        raise InvalidInput(f"{through} is after today ({today}, {LENDER_ZONE.key}): a day is "
                           "closed once it has begun", field="through", code="through_after_today")


def run_through(url: str, through: date, *, steps: Sequence[NightStep],
                partitions: int | None = None, workers: int | None = None,
                progress: Progress | None = None, clock: Clock | None = None) -> list[DayReport]:
    """Close every business day up to and including ``through``, each followed by ``steps``;
    one report per day closed. With ``clock``, a ``through`` after its today is refused first.
    """
    if clock is not None:
        check_through(through, clock)
    engine = make_engine(url)
    try:
        upgrade(engine)
        return close_through(engine, url, through, steps=steps, partitions=partitions,
                             workers=workers, progress=progress)
    finally:
        engine.dispose()


def close_through(engine: Engine, url: str, through: date, *, steps: Sequence[NightStep],
                  partitions: int | None = None, workers: int | None = None,
                  progress: Progress | None = None,
                  clock: Clock | None = None) -> list[DayReport]:
    """:func:`run_through` on an engine the caller keeps (schema already current): a caller
    closing one day at a time (the demo) pays no engine set-up or migration check per day."""
    if clock is not None:
        check_through(through, clock)
    steps = check_steps(steps)
    reports: list[DayReport] = []
    with _executor(url, workers) as submit:
        while True:
            day, resuming = _next_day(engine)
            if day is None or (day > through and not resuming):
                return reports
            try:
                reports.append(run_day(engine, url, day, submit, partitions, progress, steps))
            except NightStepFailed as failed:
                failed.reports[:0] = reports
                raise


def _next_day(engine: Engine) -> tuple[date | None, bool]:
    """The day to close, and whether it is a closed day whose steps are still to run."""
    with UnitOfWork(engine) as uow:
        last = eod_store.last_run(uow.conn)
        if last is not None and last.status == "closed":
            return date.fromisoformat(str(last.business_date)), True
        return business_date(uow.conn), False


# Runs a function (close_partition, run_step) over argument tuples, on this process, this
# machine's processes or a Dask cluster; yields the results as they complete.
Submit = Callable[[Callable[..., Any], list[tuple[Any, ...]]], Iterator[Any]]


def run_day(engine: Engine, url: str, day: date, submit: Submit, partitions: int | None,
            progress: Progress | None, steps: Sequence[NightStep]) -> DayReport:
    started = time.perf_counter()
    pending = _plan(engine, day, partitions)
    for result in submit(close_partition, [(url, day, lo, hi) for lo, hi in pending]):
        if progress is not None:
            progress(result.loans)
    close_seconds = time.perf_counter() - started
    report = _finish(engine, day, close_seconds)
    _run_steps(engine, url, day, steps, report, submit)
    report.seconds["total"] = round(time.perf_counter() - started, 3)
    with UnitOfWork(engine) as uow:
        eod_store.close_run(uow.conn, day, "done", report.as_dict())
        uow.commit()
    return report


def _plan(engine: Engine, day: date, count: int | None) -> list[tuple[int, int]]:
    with UnitOfWork(engine) as uow:
        run = eod_store.run_row(uow.conn, day)
        if run is None:
            if business_date(uow.conn) != day:
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
        report.provision_fen = post_provisions(conn, day, report.exposure)
        report.seconds["provisions"] = round(time.perf_counter() - started, 3)
        report.seconds["close_partitions"] = round(close_seconds, 3)
        advance_business_date(conn, day)
        eod_store.close_run(conn, day, "closed", report.as_dict())
        uow.commit()
        return report


def post_provisions(conn: Any, day: date,
                    exposure: dict[str, dict[str, int]]) -> dict[str, int]:
    """The allowance of ``exposure[product][class]`` (principal of active loans) closing
    ``day``, by the rule of :mod:`lendcore.eod.accounting`: stored per product and class in
    ``eod_provisions``, its change since the last closed day posted per product; the change per
    product. Idempotent per day (the entries are keyed, the rows insert-or-ignore)."""
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


def _run_steps(engine: Engine, url: str, day: date, steps: Sequence[NightStep],
               report: DayReport, submit: Submit) -> None:
    """Each step in turn over the day's partitions, the partitions side by side on the same
    workers as the core (one unit of work each); the first failure stops the night."""
    with UnitOfWork(engine) as uow:
        ranges = [(int(p.lo_id), int(p.hi_id)) for p in eod_store.partitions(uow.conn, day)]
    opened = day + ONE_DAY
    for step in steps:
        started = time.perf_counter()
        try:
            for _ in submit(run_step, [(url, step, opened, lo, hi) for lo, hi in ranges]):
                pass
        except Exception as exc:  # the night stops here, visibly; the day stays closed
            failed = NightStepFailed(step.name, day, exc)
            failed.reports.append(report)
            raise failed from exc
        report.seconds[step.name] = round(time.perf_counter() - started, 3)


@contextmanager
def _executor(url: str, workers: int | None) -> Iterator[Submit]:
    address = dask_scheduler()
    if address:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(address) as client:  # type: ignore[no-untyped-call]
            def on_dask(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> Iterator[Any]:
                futures = [client.submit(fn, *job, pure=False) for job in jobs]
                for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                    result = future.result()
                    future.release()
                    yield result

            yield on_dask
        return
    count = workers if workers is not None else _default_workers(url)
    if count <= 1:
        yield lambda fn, jobs: (fn(*job) for job in jobs)
        return
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        def on_pool(fn: Callable[..., Any], jobs: list[tuple[Any, ...]]) -> Iterator[Any]:
            futures = [pool.submit(fn, *job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()

        yield on_pool


def _default_workers(url: str) -> int:
    # SQLite has one writer at a time and a partition is one write transaction: no gain.
    return 1 if url.startswith("sqlite") else min(os.cpu_count() or 1, 8)
