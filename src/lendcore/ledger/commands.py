"""``lendcore ledger``: the trial balance and the audit, from the command line.

    lendcore ledger balances [--json]   # the trial balance, in yuan
    lendcore ledger audit [--json]      # every problem; exit 1 if any, 0 if the book is sound

The database is ``LENDCORE_DATABASE_URL`` (see :mod:`lendcore.config`); each report is one read
(``cli_support.read``), the same report the API serves.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from lendcore import cli_support
from lendcore.ledger import reports

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _read(report: Any) -> dict[str, Any]:
    result: dict[str, Any] = cli_support.read(report)
    return result


def balances(as_json: bool = JSON_OPTION) -> None:
    """Print the trial balance: debits, credits and net per account, in yuan."""
    data = _read(reports.balances_report)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    table = Table(title="Trial balance (yuan)")
    for name, justify in (("code", "left"), ("account", "left"), ("debit", "right"),
                          ("credit", "right"), ("net", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in data["accounts"]:
        table.add_row(row["code"], row["account"] or "(not in chart)", row["debit"],
                      row["credit"], row["net"])
    table.add_row("", "total", data["total_debit"], data["total_credit"], "", style="bold")
    Console().print(table)


def audit(as_json: bool = JSON_OPTION) -> None:
    """Check the ledger; list every problem and exit 1 if there is any."""
    data = _read(reports.audit_report)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif data["passed"]:
        typer.echo(f"ledger audit passed: {data['entries']} entries, {data['loans']} loans")
    else:
        table = Table(title=f"Ledger audit: {len(data['problems'])} problem(s)")
        table.add_column("code")
        table.add_column("detail")
        for problem in data["problems"]:
            table.add_row(problem["code"], problem["detail"])
        Console().print(table)
    if not data["passed"]:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    ledger = typer.Typer(help="The general ledger: trial balance and audit.",
                         no_args_is_help=True)
    ledger.command("balances")(balances)
    ledger.command("audit")(audit)
    app.add_typer(ledger, name="ledger")
