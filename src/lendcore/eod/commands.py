"""``lendcore eod``: close business days, and show where the nightly run stands.

    lendcore eod run --through 2026-04-30 [--partitions N] [--workers N] [--json]
    lendcore eod status [--json]

The business date is the open day; ``--through D`` closes every day up to and including D and
leaves the business date at D+1. D may not be after today on the server's clock (in the lender's
zone; ``LENDCORE_CLOCK`` in development mode): ``error: through: ...``, exit 2, nothing changed.
After the core closes a day the night's steps run (handed in by the composition,
:func:`lendcore.wiring.night_steps`). The database is ``LENDCORE_DATABASE_URL``; partitions
run on a Dask cluster when ``LENDCORE_DASK_SCHEDULER`` is set.

Exit 0 when the days closed without a problem; 1 when problems were listed (the days are closed
all the same), or when a night step failed: one line ``error: night step '<name>' failed ...``,
the day it followed closed but not done, and ``eod run`` again re-runs that day's steps first.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, func, select

from lendcore import cli_support
from lendcore.calendar import parse_date
from lendcore.clock import business_date
from lendcore.config import database_url
from lendcore.eod import store as eod_store
from lendcore.eod.report import DayReport
from lendcore.eod.run import check_through, run_through
from lendcore.eod.steps import NightStep, NightStepFailed
from lendcore.runner import query
from lendcore.store.db import make_engine, upgrade
from lendcore.store.servicing_tables import loans

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def _live_loans(conn: Connection) -> tuple[int, date]:
    n = conn.execute(select(func.count()).select_from(loans)
                     .where(loans.c.status != "closed")).scalar_one()
    return int(n), business_date(conn)


def _read(url: str, fn: Any) -> Any:
    engine = make_engine(url)
    try:
        upgrade(engine)
        return query(engine, fn)
    finally:
        engine.dispose()


StepsSource = Callable[[], Sequence[NightStep]]


def _wired_steps() -> Sequence[NightStep]:
    raise RuntimeError("the night's steps are not wired: register(app, night_steps) is "
                       "called by lendcore.wiring")


_steps: StepsSource = _wired_steps


def run(
    through: str = typer.Option(..., "--through", help="last day to close, YYYY-MM-DD"),
    partitions: int | None = typer.Option(None, "--partitions", min=1, max=4096),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close every business day up to and including --through, then the night's steps."""
    last = parse_date(through, "through")
    check_through(last, cli_support.clock())
    steps = _steps()
    url = database_url()
    live, opened = _read(url, _live_loans)
    days = max((last - opened).days + 1, 0)
    try:
        reports = _with_progress(url, last, live * days, partitions, workers, steps, as_json)
    except NightStepFailed as failed:
        _print(failed.reports, last, as_json)
        typer.echo(f"error: {failed}", err=True)
        raise typer.Exit(1) from None
    _print(reports, last, as_json)
    if any(r.problems for r in reports):
        raise typer.Exit(1)


def _print(reports: list[DayReport], last: date, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
        return
    for r in reports:
        typer.echo("\n".join(r.lines()))
    if not reports:
        typer.echo(f"nothing to close: the business date is already after {last}")


def _with_progress(url: str, last: date, total: int, partitions: int | None,
                   workers: int | None, night: Sequence[NightStep],
                   quiet: bool) -> list[DayReport]:
    if quiet or not sys.stderr.isatty():
        return run_through(url, last, steps=night, partitions=partitions, workers=workers)
    columns = (TextColumn("closing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loans, {task.fields[rate]:,.0f}/s"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("eod", total=total, rate=0.0)

        def advance(n: int) -> None:
            bar.advance(task, n)
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(task, rate=bar.tasks[task].completed / elapsed)

        return run_through(url, last, steps=night, partitions=partitions, workers=workers,
                           progress=advance)


def _status(conn: Connection) -> dict[str, Any]:
    data: dict[str, Any] = {"business_date": business_date(conn).isoformat(), "last_run": None}
    last = eod_store.last_run(conn)
    if last is not None:
        parts = eod_store.partitions(conn, last.business_date)
        data["last_run"] = {
            "closed_day": str(last.business_date), "status": last.status,
            "partitions_done": sum(p.status == "done" for p in parts),
            "partitions": len(parts), "report": json.loads(last.report_json)}
    return data


def status(as_json: bool = JSON_OPTION) -> None:
    """Show the open business date and the last run."""
    data = _read(database_url(), _status)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    typer.echo(f"business date (open): {data['business_date']}")
    lr = data["last_run"]
    if lr is None:
        typer.echo("no end-of-day run yet")
        return
    typer.echo(f"last run: closed {lr['closed_day']}, {lr['status']}, "
               f"{lr['partitions_done']}/{lr['partitions']} partitions done")
    if lr["status"] == "closed":
        typer.echo("  the night's steps of that day have not finished: `lendcore eod run` "
                   "resumes them")
    if lr["report"].get("business_date"):
        typer.echo("\n".join(DayReport.from_dict(lr["report"]).lines()))


def register(app: typer.Typer, night_steps: StepsSource) -> None:
    """Mount ``eod run|status``; ``night_steps`` gives the steps after the core (the
    composition's :func:`lendcore.wiring.night_steps`)."""
    global _steps
    _steps = night_steps
    eod = typer.Typer(help="End of day: close business days for every loan.",
                      no_args_is_help=True)
    eod.command("run")(run)
    eod.command("status")(status)
    app.add_typer(eod, name="eod")
