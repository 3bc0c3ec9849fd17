"""``lendcore eod``: close business days, and show where the nightly run stands.

    lendcore eod run --through 2026-04-30 [--partitions N] [--workers N] [--no-hooks] [--json]
    lendcore eod status [--json]

The business date is the open day; ``--through D`` closes every day up to and including D and
leaves the business date at D+1. The database is ``LENDCORE_DATABASE_URL``; partitions run on a
Dask cluster when ``LENDCORE_DASK_SCHEDULER`` is set. Exit 0 when the days closed without a
problem, 1 when problems were listed (the days are closed all the same).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from lendcore.calendar import parse_date
from lendcore.config import database_url
from lendcore.eod import store as eod_store
from lendcore.eod.report import DayReport
from lendcore.eod.run import run_through
from lendcore.store.db import make_engine, upgrade
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of text.")


def _live_loans(url: str) -> tuple[int, str]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with UnitOfWork(engine) as uow:
            n = uow.conn.execute(select(func.count()).select_from(loans)
                                 .where(loans.c.status != "closed")).scalar_one()
            return int(n), eod_store.business_date(uow.conn).isoformat()
    finally:
        engine.dispose()


def run(
    through: str = typer.Option(..., "--through", help="last day to close, YYYY-MM-DD"),
    partitions: int | None = typer.Option(None, "--partitions", min=1, max=4096),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64),
    no_hooks: bool = typer.Option(False, "--no-hooks", help="skip the after-day hooks"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Close every business day up to and including --through."""
    url = database_url()
    last = parse_date(through, "through")
    live, opened = _live_loans(url)
    days = max((last - parse_date(opened, "business_date")).days + 1, 0)
    reports = _with_progress(url, last, live * days, partitions, workers, no_hooks, as_json)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for r in reports:
            typer.echo("\n".join(r.lines()))
        if not reports:
            typer.echo(f"nothing to close: the business date is already after {last}")
    if any(r.problems for r in reports):
        raise typer.Exit(1)


def _with_progress(url: str, last: Any, total: int, partitions: int | None,
                   workers: int | None, no_hooks: bool, quiet: bool) -> list[DayReport]:
    hooks = () if no_hooks else None
    if quiet or not sys.stderr.isatty():
        return run_through(url, last, partitions=partitions, workers=workers, hooks=hooks)
    columns = (TextColumn("closing"), BarColumn(), MofNCompleteColumn(),
               TextColumn("loans, {task.fields[rate]:,.0f}/s"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("eod", total=total, rate=0.0)

        def advance(n: int) -> None:
            bar.advance(task, n)
            elapsed = bar.tasks[task].elapsed or 1e-9
            bar.update(task, rate=bar.tasks[task].completed / elapsed)

        return run_through(url, last, partitions=partitions, workers=workers,
                           progress=advance, hooks=hooks)


def status(as_json: bool = JSON_OPTION) -> None:
    """Show the open business date and the last run."""
    engine = make_engine()
    try:
        upgrade(engine)
        with UnitOfWork(engine) as uow:
            data: dict[str, Any] = {"business_date": eod_store.business_date(uow.conn)
                                    .isoformat(), "last_run": None}
            last = eod_store.last_run(uow.conn)
            if last is not None:
                parts = eod_store.partitions(uow.conn, last.business_date)
                data["last_run"] = {
                    "closed_day": str(last.business_date), "status": last.status,
                    "partitions_done": sum(p.status == "done" for p in parts),
                    "partitions": len(parts), "report": json.loads(last.report_json)}
    finally:
        engine.dispose()
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
    if lr["report"].get("business_date"):
        typer.echo("\n".join(DayReport.from_dict(lr["report"]).lines()))


def register(app: typer.Typer) -> None:
    eod = typer.Typer(help="End of day: close business days for every loan.",
                      no_args_is_help=True)
    eod.command("run")(run)
    eod.command("status")(status)
    app.add_typer(eod, name="eod")
