"""CLI for customers and credit lines: the same commands as the API, printing JSON.

    lendcore customer create [--name 张**] [--timezone Asia/Shanghai] [--external-ref R1]
    lendcore customer show ID
    lendcore line open --customer 1 --product cash-line --limit 20000
    lendcore line show ID
    lendcore line set-limit ID --limit 50000 --reason "income verified" [--decision D] [--review R]
    lendcore line freeze|unfreeze|close ID --reason "..."

An existing line is never opened again (409 ``line_exists``); its limit changes with
``line set-limit``, logged with the reason and the operator (``LENDCORE_OPERATOR`` or the login).
"""

from __future__ import annotations

import typer

from lendcore.cli_support import echo, read, run
from lendcore.customers import operations as ops
from lendcore.customers import service, views
from lendcore.edge import check_identifier, check_text, check_timezone, parse_money
from lendcore.errors import InvalidInput

customer_app = typer.Typer(help="Customers.", no_args_is_help=True)
line_app = typer.Typer(help="Credit lines: open, show, set the limit, freeze, close.",
                       no_args_is_help=True)
ID_MAX = 2**63 - 1


def check_id(value: int | None, field: str) -> int | None:
    if value is not None and not 1 <= value <= ID_MAX:
        raise InvalidInput("must be an id from 1 to 2^63-1", field=field)
    return value


def _id(value: int, field: str) -> int:
    check_id(value, field)
    return value


def _reason(text: str) -> str:
    return check_text(text, "--reason", 255)


@customer_app.command("create")
def customer_create(name: str = typer.Option("", help="masked name, e.g. 张**"),
                    timezone: str = typer.Option("Asia/Shanghai", help="IANA time zone"),
                    external_ref: str = typer.Option(None, help="the caller's reference")
                    ) -> None:
    """Create a customer (on the business date)."""
    check_text(name, "--name", 64, required=False)
    check_timezone(timezone, "--timezone")
    if external_ref is not None:
        check_identifier(external_ref, "--external-ref")
    echo(run(ops.CreateCustomer(name, timezone, external_ref)))


@customer_app.command("show")
def customer_show(customer_id: int) -> None:
    """A customer and their credit lines."""
    echo(views.customer(read(service.get_customer, _id(customer_id, "customer_id"))))


@customer_app.command("unmask")
def customer_unmask(customer_id: int,
                    reason: str = typer.Option(..., "--reason", help="why (audited)")) -> None:
    """The full name, ID number and mobile, recorded in the audit trail with the reason."""
    from lendcore import audit
    from lendcore.cli_support import context, engine

    check_text(reason, "reason", 255)
    echo(audit.read_unmasked(engine(), context(), "customer.identity", reason,
                             service.unmasked_identity, _id(customer_id, "customer_id"),
                             subject={"customer_id": customer_id}))


@line_app.command("open")
def line_open(customer: int = typer.Option(...), product: str = typer.Option("cash-line"),
              limit: str = typer.Option(..., help="yuan, e.g. 20000")) -> None:
    """Open a customer's line of a product (an existing one is refused: 409)."""
    command = ops.OpenLine(_id(customer, "--customer"), check_text(product, "--product", 64),
                           parse_money(limit, "--limit"))
    echo(run(command))


@line_app.command("show")
def line_show(line_id: int) -> None:
    echo(views.line(read(service.get_line, _id(line_id, "line_id"))))


@line_app.command("set-limit")
def line_set_limit(line_id: int, limit: str = typer.Option(..., help="yuan, e.g. 50000"),
                   reason: str = typer.Option(..., help="why the limit changes"),
                   decision: int = typer.Option(None, help="the decision it rests on"),
                   review: int = typer.Option(None, help="the review it rests on")) -> None:
    """Raise or cut a line's limit, logged with the reason and what it rests on."""
    echo(run(ops.SetLimit(_id(line_id, "line_id"), parse_money(limit, "--limit"),
                          _reason(reason), check_id(decision, "--decision"),
                          check_id(review, "--review"))))


@line_app.command("freeze")
def line_freeze(line_id: int, reason: str = typer.Option(...)) -> None:
    """No new draws on the line until it is unfrozen."""
    echo(run(ops.FreezeLine(_id(line_id, "line_id"), _reason(reason))))


@line_app.command("unfreeze")
def line_unfreeze(line_id: int, reason: str = typer.Option(...)) -> None:
    echo(run(ops.UnfreezeLine(_id(line_id, "line_id"), _reason(reason))))


@line_app.command("close")
def line_close(line_id: int, reason: str = typer.Option(...)) -> None:
    """No new loans on the line, ever (loans on it run to their end)."""
    echo(run(ops.CloseLine(_id(line_id, "line_id"), _reason(reason))))


def register(app: typer.Typer) -> None:
    app.add_typer(customer_app, name="customer")
    app.add_typer(line_app, name="line")
