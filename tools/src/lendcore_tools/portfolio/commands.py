"""``lendcore portfolio generate --loans N --seed S [--business-date D]``: a synthetic book.

Fills the database of ``LENDCORE_DATABASE_URL`` (which must hold no loans yet) with customers,
credit lines, loans of ``cash-line`` and ``checkout-installment``, their installments, events
and opening ledger, and sets the business date (default 2026-03-01).
"""

from __future__ import annotations

import typer

from lendcore.calendar import parse_date
from lendcore.config import database_url
from lendcore_tools.portfolio.generate import generate
from lendcore_tools.portfolio.load import describe


def generate_command(
    loans: int = typer.Option(..., "--loans", min=1, max=50_000_000),
    seed: int = typer.Option(1, "--seed"),
    business_date: str = typer.Option("2026-03-01", "--business-date"),
    workers: int = typer.Option(2, "--workers", min=1, max=64),
) -> None:
    """Generate a realistic book of --loans loans."""
    counts, seconds, _a, protos = generate(database_url(), loans, seed,
                                           parse_date(business_date, "business_date"), workers)
    typer.echo(f"generated from {len(protos)} prototypes: {describe(counts)}")
    typer.echo("seconds: " + ", ".join(f"{k} {v}" for k, v in seconds.items()))


def register(app: typer.Typer) -> None:
    portfolio = typer.Typer(help="Synthetic portfolios.", no_args_is_help=True)
    portfolio.command("generate")(generate_command)
    app.add_typer(portfolio, name="portfolio")
