"""CLI: ``lendcore products [--json]``: the catalogue, each term's disclosed annual rate."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from lendcore.errors import LendcoreError


def register(app: typer.Typer) -> None:
    app.command("products")(products_command)


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


def products_command(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the product catalogue with each term's disclosed annual rate."""
    from lendcore.products.listing import catalogue_rows

    try:
        rows = catalogue_rows()
    except LendcoreError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if json_output:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    _print_products(rows)


def _print_products(rows: list[dict[str, Any]]) -> None:
    console = Console()
    for product in rows:
        console.print(f"[bold]{product['code']}[/bold]  {product['name']}  ({product['kind']}; "
                      f"{', '.join(product['methods'])}; {product['principal_min']}–"
                      f"{product['principal_max']} CNY)")
        table = Table("installments", "rate a year", "fee/installment", "APR 单利 (max)",
                      "method")
        for term in product["terms"]:
            contract = term["contract_rate_annual"]
            table.add_row(str(term["installments"]),
                          _percent(Decimal(contract)) if contract else "-",
                          _percent(Decimal(term["fee_rate_per_installment"])),
                          _percent(Decimal(term["apr_nominal"])), term["method"])
        console.print(table)
