"""The night's steps and its clock, on SQLite and PostgreSQL.

Steps are explicit callables run per partition of the day's plan, each in its own unit of work;
a failing step stops the night visibly (the day closed, not done; the CLI names the step and
exits 1) and the next run re-runs that day's steps, then carries on. The night closes today but
never tomorrow on the server's clock, in the lender's zone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import typer
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from lendcore import cli_support, wiring
from lendcore.clock import SimulatedClock, business_date, init_business_date
from lendcore.eod import commands
from lendcore.eod.run import check_through, run_through
from lendcore.eod.steps import NightStep, NightStepFailed
from lendcore.errors import InvalidInput
from lendcore.store.eod_tables import eod_partitions, eod_runs
from lendcore.store.uow import UnitOfWork
from tests.eod.conftest import BUSINESS_DATE, url_of

DAY = BUSINESS_DATE  # the book's open day, 2026-03-01
EVENING = "2026-03-01T21:30+08:00"  # the server's clock on DAY, in the lender's zone


@dataclass
class Step:
    """A step that records its calls; ``broken`` makes it fail on its second partition."""

    log: list[tuple[str, date, int, int]]
    name: str
    broken: bool = False
    calls: int = field(default=0)

    def __call__(self, uow: UnitOfWork, day: date, lo_id: int, hi_id: int) -> None:
        assert uow.conn.in_transaction()
        self.calls += 1
        if self.broken and self.calls == 2:
            raise RuntimeError("collector system offline")
        self.log.append((self.name, day, lo_id, hi_id))

    def step(self) -> NightStep:
        return NightStep(self.name, self)


def _plan(engine: Engine, day: date) -> list[tuple[int, int]]:
    with engine.connect() as conn:
        return [(int(a), int(b)) for a, b in conn.execute(
            select(eod_partitions.c.lo_id, eod_partitions.c.hi_id)
            .where(eod_partitions.c.business_date == day).order_by(eod_partitions.c.lo_id))]


def _runs(engine: Engine) -> dict[date, str]:
    with engine.connect() as conn:
        return {r.business_date: r.status for r in conn.execute(select(eod_runs))}


def _open_day(engine: Engine) -> date:
    with engine.connect() as conn:
        return business_date(conn)


def test_each_step_runs_over_every_partition_of_the_plan_with_the_day_opened(
        book: Engine) -> None:
    log: list[tuple[str, date, int, int]] = []
    first, second = Step(log, "collections case sync"), Step(log, "limit review")
    [report] = run_through(url_of(book), DAY, partitions=3, workers=1,
                           steps=(first.step(), second.step()))
    plan = _plan(book, DAY)
    assert len(plan) == 3
    opened = DAY + timedelta(days=1)
    assert log == [("collections case sync", opened, lo, hi) for lo, hi in plan] + \
                  [("limit review", opened, lo, hi) for lo, hi in plan]
    assert _runs(book) == {DAY: "done"} and not report.problems
    assert {"collections case sync", "limit review"} <= set(report.seconds)


def test_a_failing_step_stops_the_night_with_the_day_closed_and_a_rerun_finishes(
        book: Engine) -> None:
    log: list[tuple[str, date, int, int]] = []
    sync, review = Step(log, "collections case sync"), Step(log, "limit review", broken=True)
    steps = (sync.step(), review.step())
    with pytest.raises(NightStepFailed) as caught:
        run_through(url_of(book), DAY + timedelta(days=1), partitions=2, workers=1, steps=steps)
    failed = caught.value
    assert failed.step == "limit review" and failed.closed_day == DAY
    assert "collector system offline" in str(failed)
    assert [r.business_date for r in failed.reports] == [DAY.isoformat()]
    # The core closed the day and moved the date; the steps did not finish: closed, not done.
    assert _open_day(book) == DAY + timedelta(days=1)
    assert _runs(book) == {DAY: "closed"}
    assert [e[0] for e in log] == ["collections case sync"] * 2 + ["limit review"]

    review.broken = False
    log.clear()
    reports = run_through(url_of(book), DAY + timedelta(days=1), partitions=2, workers=1,
                          steps=steps)
    assert [r.business_date for r in reports] == [DAY.isoformat(),
                                                  (DAY + timedelta(days=1)).isoformat()]
    assert _runs(book) == {DAY: "done", DAY + timedelta(days=1): "done"}
    assert _open_day(book) == DAY + timedelta(days=2)
    # The failed day's steps ran again (all of them: steps are idempotent), then the next day's.
    days = [(name, day) for name, day, _lo, _hi in log]
    assert days == [("collections case sync", DAY + timedelta(days=1))] * 2 \
        + [("limit review", DAY + timedelta(days=1))] * 2 \
        + [("collections case sync", DAY + timedelta(days=2))] * 2 \
        + [("limit review", DAY + timedelta(days=2))] * 2


def test_a_step_named_by_a_string_is_refused_before_the_night_starts(book: Engine) -> None:
    with pytest.raises(TypeError, match="must be a NightStep"):
        run_through(url_of(book), DAY, workers=1,
                    steps=("lendcore.collections.service:sync_casse",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a NightStep"):
        run_through(url_of(book), DAY, workers=1,
                    steps=(NightStep("limit review", None),))  # type: ignore[arg-type]
    assert _runs(book) == {} and _open_day(book) == DAY


# -- the CLI ---------------------------------------------------------------------------------
@pytest.fixture()
def eod_cli(book: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``lendcore eod ...`` in-process on the book, the server's clock at EVENING."""
    monkeypatch.setenv("LENDCORE_DATABASE_URL", url_of(book))
    monkeypatch.setenv("LENDCORE_MODE", "development")
    monkeypatch.setenv("LENDCORE_CLOCK", EVENING)
    monkeypatch.setattr(cli_support, "_CLOCK", None)
    app = typer.Typer()
    commands.register(app, lambda: wiring.night_steps())

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(app, ["eod", *args])

    return invoke


def test_the_cli_names_the_failing_step_exits_1_and_eod_run_again_finishes(
        book: Engine, eod_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[tuple[str, date, int, int]] = []
    review = Step(log, "limit review", broken=True)
    steps = (Step(log, "collections case sync").step(), review.step())
    monkeypatch.setattr("lendcore.wiring.night_steps", lambda: steps)

    result = eod_cli("run", "--through", DAY.isoformat(), "--partitions", "2", "--workers", "1")
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: night step 'limit review' failed after closing 2026-03-01: RuntimeError: "
        "collector system offline; the day is closed, its steps are not: `lendcore eod run` "
        "again resumes them"]
    assert "Traceback" not in result.output
    assert _open_day(book) == date(2026, 3, 2) and _runs(book) == {DAY: "closed"}
    status = eod_cli("status")
    assert "closed 2026-03-01, closed" in status.output
    assert "`lendcore eod run` resumes them" in status.output

    review.broken = False
    result = eod_cli("run", "--through", DAY.isoformat(), "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "closed 2026-03-01" in result.stdout
    assert _open_day(book) == date(2026, 3, 2) and _runs(book) == {DAY: "done"}
    assert "closed 2026-03-01, done" in eod_cli("status").output


def test_the_cli_closes_today_on_the_servers_clock(
        book: Engine, eod_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[tuple[str, date, int, int]] = []
    monkeypatch.setattr("lendcore.wiring.night_steps", lambda: (Step(log, "s").step(),))
    result = eod_cli("run", "--through", DAY.isoformat(), "--workers", "1", "--json")
    assert result.exit_code == 0, result.output
    assert _runs(book) == {DAY: "done"} and log


def test_the_cli_refuses_to_close_a_day_after_today_and_changes_nothing(
        engine: Engine, tmp_path: Any) -> None:
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, DAY)
        uow.commit()
    env = {**os.environ, "LENDCORE_DATABASE_URL": url_of(engine),
           "LENDCORE_MODE": "development", "LENDCORE_CLOCK": EVENING}
    env.pop("LENDCORE_DASK_SCHEDULER", None)
    before = _state(engine)
    done = subprocess.run(
        [sys.executable, "-c", "from lendcore.cli import main; main()", "eod", "run",
         "--through", "2026-03-02"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: through: 2026-03-02 is after today (2026-03-01, Asia/Shanghai): a day is "
        "closed once it has begun"]
    assert _state(engine) == before


def _state(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT key, value FROM system_state UNION ALL "
            "SELECT CAST(business_date AS TEXT), status FROM eod_runs ORDER BY 1"))]


# -- the clock, as a library caller passes it --------------------------------------------------
def test_a_library_caller_with_a_clock_closes_today_but_not_tomorrow(book: Engine) -> None:
    clock = SimulatedClock(datetime.fromisoformat(EVENING))
    with pytest.raises(InvalidInput) as refused:
        run_through(url_of(book), DAY + timedelta(days=1), workers=1, steps=(), clock=clock)
    assert refused.value.field == "through"
    assert _runs(book) == {} and _open_day(book) == DAY
    [report] = run_through(url_of(book), DAY, workers=1, steps=(), clock=clock)
    assert report.business_date == DAY.isoformat()


@pytest.mark.parametrize(("utc", "allowed"), [
    (datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), False),  # 23:59:59 on 1 March in Beijing
    (datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), True),  # midnight: 2 March has begun
])
def test_today_is_the_lenders_date_not_utcs(utc: datetime, allowed: bool) -> None:
    clock = SimulatedClock(utc)
    if allowed:
        check_through(date(2026, 3, 2), clock)
    else:
        with pytest.raises(InvalidInput, match="is after today"):
            check_through(date(2026, 3, 2), clock)
    check_through(date(2026, 3, 1), clock)  # today (and any day before) always may close


def test_the_wired_night_steps_are_imported_night_steps() -> None:
    from lendcore.wiring import night_steps

    steps = night_steps()
    assert [s.name for s in steps] == ["collections case sync", "limit review"]
    assert all(isinstance(s, NightStep) and callable(s.run) for s in steps)
