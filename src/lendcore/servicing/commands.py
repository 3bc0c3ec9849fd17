"""CLI for servicing: the same commands as the API (``servicing.operations``), printing JSON.

    lendcore draw --line 1 --amount 5000 --installments 6 --purpose travel --payee mi-mall
    lendcore checkout --customer 1 --order-id O1 --merchant mi-mall --amount 3999 \
        --installments 12 --item "electronics:1:3999:Xiaomi 14"
    lendcore loan show|schedule|statement ID ;  lendcore loan payoff ID --on 2026-04-01
    lendcore repay --loan ID --amount 917.99 [--on 2026-02-28] [--key K]
    lendcore refund --loan ID --amount 1000 [--key K]
    lendcore refund-overpayment --loan ID --amount 12.50 [--key K]

A draw's ``--purpose`` is a consumption-purpose code (travel, education, ...: the refusal lists
them) and ``--payee`` a registered merchant's id (``lendcore merchants list``). A checkout's
``--item CATEGORY:QUANTITY:UNIT_PRICE:NAME`` (repeated, at least once) lists what was bought;
the items sum to ``--amount``.

``--key K`` is the idempotency key: the same key as an API request's ``Idempotency-Key`` with the
same inputs is the same command (its first result is returned, nothing is applied twice). Without
``--key`` a fresh one is made. A mistake is one line ``error: <field>: <detail>``, exit 2.
"""

from __future__ import annotations

import re
from datetime import date

import typer

from lendcore.calendar import parse_date
from lendcore.cli_support import echo, read, run
from lendcore.edge import check_identifier, check_text, parse_money
from lendcore.errors import InvalidInput
from lendcore.runner import check_key
from lendcore.servicing import operations as ops
from lendcore.servicing import queries, views

loan_app = typer.Typer(help="Show a loan: its summary, schedule, statement, payoff.",
                       no_args_is_help=True)
ID_MAX = 2**63 - 1
MAX_INSTALLMENTS = 360


def _id(value: int, field: str) -> int:
    if not 1 <= value <= ID_MAX:
        raise InvalidInput("must be an id from 1 to 2^63-1", field=field)
    return value


def _installments(value: int) -> int:
    if not 1 <= value <= MAX_INSTALLMENTS:
        raise InvalidInput(f"must be 1 to {MAX_INSTALLMENTS}", field="--installments")
    return value


def _day(text: str, field: str) -> date:
    """A date as YYYY-MM-DD, nothing else (the API's rule for ``effective_date``)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise InvalidInput(f"{text[:32]!r} is not a date; use YYYY-MM-DD", field=field)
    return parse_date(text, field)


def _key(key: str | None) -> str | None:
    try:
        return check_key(key)
    except InvalidInput as exc:
        raise InvalidInput(exc.detail, field="--key") from None


def draw_cmd(line: int = typer.Option(...), amount: str = typer.Option(..., help="yuan"),
             installments: int = typer.Option(...),
             method: str = typer.Option("equal-installment"),
             purpose: str = typer.Option(...), payee: str = typer.Option(...),
             payee_kind: str = typer.Option("merchant", help="merchant | own_account"),
             prepayment_mode: str = typer.Option("shorten", help="shorten | lower"),
             key: str = typer.Option(None, help="idempotency key")) -> None:
    """Draw cash on a credit line."""
    command = ops.Draw(_id(line, "--line"), parse_money(amount, "--amount"),
                       _installments(installments), check_text(purpose, "--purpose", 32),
                       check_identifier(payee, "--payee"), check_text(method, "--method", 32),
                       check_text(payee_kind, "--payee-kind", 32),
                       check_text(prepayment_mode, "--prepayment-mode", 32))
    echo(run(command, _key(key)))


def checkout_cmd(customer: int = typer.Option(...), order_id: str = typer.Option(...),
                 merchant: str = typer.Option(...), amount: str = typer.Option(...),
                 installments: int = typer.Option(...), method: str = typer.Option("flat-fee"),
                 item: list[str] = typer.Option(
                     [], "--item", help="CATEGORY:QUANTITY:UNIT_PRICE:NAME, once per item"),
                 interest_free: bool = typer.Option(False, "--interest-free"),
                 key: str = typer.Option(None, help="idempotency key")) -> None:
    """An installment loan for a merchant order (the merchant is paid)."""
    command = ops.Checkout(_id(customer, "--customer"), check_identifier(order_id, "--order-id"),
                           check_identifier(merchant, "--merchant"),
                           parse_money(amount, "--amount"), _installments(installments),
                           tuple(_item(text) for text in item),
                           check_text(method, "--method", 32), interest_free)
    echo(run(command, _key(key)))


def _item(text: str) -> ops.Item:
    """``electronics:1:3999.00:Xiaomi 14`` (the name last: it may hold a colon)."""
    parts = text.split(":", 3)
    if len(parts) != 4 or not re.fullmatch(r"[0-9]{1,3}", parts[1]):
        raise InvalidInput(f"{text[:64]!r} is not CATEGORY:QUANTITY:UNIT_PRICE:NAME with a "
                           "quantity of 1 to 999, e.g. electronics:1:3999.00:Xiaomi 14",
                           field="--item")
    category, quantity, price, name = parts
    return ops.Item(check_text(name, "--item", 128), check_text(category, "--item", 32),
                    int(quantity), parse_money(price, "--item", allow_zero=True))


def repay_cmd(loan: int = typer.Option(...), amount: str = typer.Option(..., help="yuan"),
              on: str = typer.Option(None, help="value date YYYY-MM-DD (back-dated: at most "
                                                "the business date, at least the loan's start)"),
              key: str = typer.Option(None, help="idempotency key")) -> None:
    """Post a repayment (on the business date, or back-dated with --on)."""
    day = _day(on, "--on") if on is not None else None
    echo(run(ops.Repay(_id(loan, "--loan"), parse_money(amount, "--amount"), day), _key(key)))


def refund_cmd(loan: int = typer.Option(...), amount: str = typer.Option(..., help="yuan"),
               key: str = typer.Option(None, help="idempotency key")) -> None:
    """Refund returned goods on a checkout loan."""
    echo(run(ops.RefundGoods(_id(loan, "--loan"), parse_money(amount, "--amount")), _key(key)))


def refund_overpayment_cmd(loan: int = typer.Option(...),
                           amount: str = typer.Option(..., help="yuan"),
                           key: str = typer.Option(None, help="idempotency key")) -> None:
    """Pay back money a borrower paid beyond what was owed (overpayment)."""
    echo(run(ops.RefundOverpayment(_id(loan, "--loan"), parse_money(amount, "--amount")),
             _key(key)))


@loan_app.command("show")
def loan_show(loan_id: int) -> None:
    echo(views.loan_summary(read(queries.loan_summary, _id(loan_id, "loan_id"))))


@loan_app.command("schedule")
def loan_schedule(loan_id: int) -> None:
    echo(views.schedule(read(queries.schedule, _id(loan_id, "loan_id"))))


@loan_app.command("statement")
def loan_statement(loan_id: int) -> None:
    echo(views.statement(read(queries.statement, _id(loan_id, "loan_id"))))


@loan_app.command("payoff")
def loan_payoff(loan_id: int, on: str = typer.Option(..., help="YYYY-MM-DD")) -> None:
    echo(views.payoff(read(queries.payoff_quote, _id(loan_id, "loan_id"), _day(on, "--on"))))


def register(app: typer.Typer) -> None:
    app.command("draw")(draw_cmd)
    app.command("checkout")(checkout_cmd)
    app.command("repay")(repay_cmd)
    app.command("refund")(refund_cmd)
    app.command("refund-overpayment")(refund_overpayment_cmd)
    app.add_typer(loan_app, name="loan")
