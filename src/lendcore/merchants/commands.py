"""CLI for the merchant registry: the same commands as the API, printing JSON.

    lendcore merchants add --id mi-mall --name 小米商城 --category electronics
    lendcore merchants list [--status active|suspended]
    lendcore merchants status mi-mall --status suspended

A mistake is one line ``error: <field>: <detail>``, exit 2. Registering and changing a status
need ``merchant.manage``; listing needs ``merchant.read``.
"""

from __future__ import annotations

import typer

from lendcore.cli_support import echo, read, run
from lendcore.edge import check_identifier, check_text
from lendcore.merchants import operations as ops
from lendcore.merchants import service, views
from lendcore.merchants.model import NAME_MAX

merchants_app = typer.Typer(help="Merchants: register, list, suspend or reactivate.",
                            no_args_is_help=True)


@merchants_app.command("add")
def merchants_add(merchant_id: str = typer.Option(..., "--id", help="e.g. mi-mall"),
                  name: str = typer.Option(..., help="e.g. 小米商城"),
                  category: str = typer.Option(..., help="goods category, e.g. electronics"),
                  status: str = typer.Option("active", help="active | suspended")) -> None:
    """Register a merchant (a known id is refused)."""
    command = ops.AddMerchant(check_identifier(merchant_id, "--id"),
                              check_text(name, "--name", NAME_MAX),
                              check_text(category, "--category", 32),
                              check_text(status, "--status", 32))
    echo(run(command))


@merchants_app.command("list")
def merchants_list(status: str = typer.Option(None, help="active | suspended")) -> None:
    """The registered merchants, by id."""
    echo(views.merchants(read(service.list_merchants, status)))


@merchants_app.command("status")
def merchants_status(merchant_id: str,
                     status: str = typer.Option(..., help="active | suspended")) -> None:
    """Suspend a merchant (no new loan pays it) or make it active again."""
    command = ops.SetMerchantStatus(check_identifier(merchant_id, "merchant_id"),
                                    check_text(status, "--status", 32))
    echo(run(command))


def register(app: typer.Typer) -> None:
    app.add_typer(merchants_app, name="merchants")
