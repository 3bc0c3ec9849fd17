"""CLI: ``lendcore products [--json]``: the catalogue, each term's prices and rates.

Every rate and fee is a percentage, as the listing gives it (``products.listing``); each column
says which rate it is, and the notes under each table say how they relate.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lendcore.errors import LendcoreError


def register(app: typer.Typer) -> None:
    app.command("products")(products_command)


def products_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the product catalogue with each term's disclosed annual rate."""
    from lendcore.products.listing import RATE_NOTES, catalogue_rows

    try:
        rows = catalogue_rows()
    except LendcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if json_output:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _print_products(rows, RATE_NOTES)


def _print_products(rows: list[dict[str, Any]], notes: tuple[str, ...]) -> None:
    console = Console()
    for product in rows:
        console.print(f"[bold]{product['code']}[/bold]  {product['name']}  ({product['kind']}; "
                      f"{', '.join(product['methods'])}; {product['principal_min']}–"
                      f"{product['principal_max']} CNY)")
        table = Table("installments", "methods", f"contract rate a year ({product['day_count']})",
                      "contract rate a day", "fee / installment", "APR 单利 (IRR, all-in)",
                      "penalty a year")
        for term in product["terms"]:
            methods = "all" if term["methods"] == product["methods"] else term["method"]
            table.add_row(str(term["installments"]), methods,
                          term["contract_rate_annual"] or "none",
                          term["contract_rate_daily"] or "-",
                          term["fee_rate_per_installment"], term["apr_nominal"],
                          term["penalty_rate_annual"])
        console.print(table)
    for note in notes:
        console.print(f"  {note}", soft_wrap=True)
