"""CLI: ``lendcore demo`` runs the portfolio simulation and writes the report.

    lendcore demo                                     # 1,000 applicants, 240 days, seed 7
    lendcore demo --customers 300 --days 230 --seed 3 --report /tmp/r
    lendcore demo --database postgresql://postgres@127.0.0.1:5432/lendcore_demo

Without ``--database`` the book is a fresh SQLite file ``demo.db`` in the report directory
(removed first, so a rerun starts clean). A PostgreSQL database must be empty. The applicants'
names, ID numbers and mobiles are sealed as a lender's are (``lendcore.pii``): with the key ring
``LENDCORE_KEYRING`` names, or else a fresh one the demo writes beside its report
(``demo-keyring.json``, readable by you only), so the demo runs outside development mode without
ever using the development keys. The progress bar
counts simulated days; its rates are customers and live loans carried through a simulated day,
per second of wall time. The run ends with the ledger audit: exit status 1 if it found problems.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lendcore.money import format_yuan
from lendcore.pii import keyring
from lendcore_tools.demo.report import Report, build_report
from lendcore_tools.demo.simulate import DemoConfig, run_demo

DEFAULT_CUSTOMERS = 1000
DEFAULT_DAYS = 240
DEFAULT_SEED = 7


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def _sqlite_url(report_dir: Path) -> str:
    report_dir.mkdir(parents=True, exist_ok=True)
    path = report_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path.resolve()}"


def demo(
    customers: int = typer.Option(DEFAULT_CUSTOMERS, "--customers", min=10, max=200_000,
                                  help="applicants in the synthetic population"),
    days: int = typer.Option(DEFAULT_DAYS, "--days", min=1, max=3_650,
                             help="business days to simulate (charge-off needs about 215)"),
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="same seed, same book"),
    database: str | None = typer.Option(None, "--database",
                                        help="an empty database URL (default: fresh SQLite "
                                             "file in the report directory)"),
    report_dir: Path = typer.Option(Path("report"), "--report", help="where index.html goes"),
) -> None:
    """Simulate a consumer-credit book on the real services and write report/index.html."""
    console = Console()
    demo_keyring(report_dir)
    cfg = DemoConfig(customers, days, seed, database or _sqlite_url(report_dir))
    with _progress(console) as bar:
        task = bar.add_task("simulating", total=days, rates="")
        started, carried = time.perf_counter(), [0, 0]

        def tick(done: int, people: int, live: int) -> None:
            carried[0] += people
            carried[1] += live
            seconds = max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, rates=(
                f"{people} customers, {live} loans | {carried[0] / seconds:,.0f} customers/s, "
                f"{carried[1] / seconds:,.0f} loans/s"))

        result = run_demo(cfg, tick)
    report = build_report(result)
    from lendcore_tools.demo.page import write

    path = write(report, report_dir)
    _summary(console, report, path)
    if report.audit:
        raise typer.Exit(1)


def demo_keyring(report_dir: Path) -> Path | None:
    """Unless LENDCORE_KEYRING names a ring: a fresh ring for this run's book, written beside
    the report and named in this process's environment (the demo's process only)."""
    if os.environ.get("LENDCORE_KEYRING", "").strip():
        return None
    report_dir.mkdir(parents=True, exist_ok=True)
    path = (report_dir / "demo-keyring.json").resolve()
    path.unlink(missing_ok=True)  # a fresh book: a fresh ring
    keyring.write_document(path, keyring.new_keyring_document(
        "demo-1", index_key=not os.environ.get("LENDCORE_ID_HASH_KEY")))
    os.environ["LENDCORE_KEYRING"] = str(path)
    keyring.reload()
    return path


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("days"), TimeElapsedColumn(), TextColumn("{task.fields[rates]}"),
                    console=console, transient=False)


def _summary(console: Console, report: Report, path: Path) -> None:
    h = report.headline
    console.print(f"[bold]{h['customers']} applicants, {h['approved']} approved, {h['loans']} "
                  f"loans, {format_yuan(h['disbursed_fen'])} CNY lent[/] over {h['days']} days "
                  f"({h['first_day']} to {h['last_day']}) in {h['seconds']} s "
                  f"(nightly run: {h['nightly']}, {h['nightly_seconds']} s)")
    console.print("buckets reached: " + " ".join(report.reached))
    events = Table(title="What happened", show_header=False)
    for name, value in report.events.items():
        events.add_row(name, str(value))
    bands = Table("score band", "applications", "approved", "approval rate",
                  title="Approval by score band")
    for b in report.bands:
        bands.add_row(b["band"], str(b["applications"]), str(b["approve"]),
                      f"{100 * b['approval_rate']:.0f}%")
    guard = Table("refused because", "contacts", title=(
        f"Collections: {report.contacts['allowed']} contacts allowed, "
        f"{report.contacts['refused']} refused"))
    for reason, n in report.contacts["refused_by_reason"]:
        guard.add_row(reason, str(n))
    console.print(events, bands, guard)
    income = ", ".join(f"{k} {format_yuan(v)}" for k, v in report.money_totals.items())
    console.print(f"income and costs (CNY): {income}")
    if report.audit:
        console.print(f"[bold red]ledger audit: {len(report.audit)} problem(s)[/]")
        for p in report.audit[:10]:
            console.print(f"  {p['code']}: {p['detail']}")
    else:
        console.print("[bold green]ledger audit passed[/]")
    console.print(f"full report: {path.resolve()}")
