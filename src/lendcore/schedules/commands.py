"""``lendcore quote`` and ``lendcore products``: thin CLI over the quote and the catalogue.

    $ lendcore quote --principal 12000 --installments 12 --method flat-fee \\
        --fee-rate-per-installment 0.6% --start 2025-06-01 --json
    {"installments": [...], "totals": {...},
     "apr": {"nominal": "0.130342", "effective": "0.138418"}}

Every option is taken as a string and parsed by the domain's parsers, so a bad value is our
one-line error naming the option (``error: --principal: must be greater than 0``, exit 2), never
Click's usage screen or a traceback. This is the only place allowed to read the clock (the
default ``--start`` is today).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from lendcore.calendar import parse_date
from lendcore.errors import InvalidInput, LendcoreError
from lendcore.money import Rounding, format_yuan, parse_yuan
from lendcore.rates import AnnualRate, DayCount, parse_rate
from lendcore.schedules.apr import format_rate
from lendcore.schedules.model import MAX_INSTALLMENTS, InterestMode, Method, ScheduleTerms
from lendcore.schedules.quote import Quote, quote

T = TypeVar("T")
Opt = Annotated[str | None, typer.Option(show_default=False)]

# Domain field names -> the CLI option that feeds them.
_OPTION_OF_FIELD = {
    "principal": "--principal",
    "installments": "--installments",
    "method": "--method",
    "annual_rate": "--annual-rate",
    "annual-rate": "--annual-rate",
    "fee_rate_per_installment": "--fee-rate-per-installment",
    "installment_multiple": "--installment-multiple",
    "interest": "--interest",
    "day_count": "--day-count",
    "rounding": "--rounding",
    "date": "--start",
}


class _OptionError(Exception):
    """A LendcoreError already labelled with its CLI option."""


def register(app: typer.Typer) -> None:
    app.command("quote")(quote_command)


@contextmanager
def _cli_errors(rate_option: str = "--annual-rate") -> Iterator[None]:
    """Map every domain error to one line on stderr naming the CLI option, exit 2."""
    try:
        yield
    except LendcoreError as exc:
        field = exc.field or ""
        option = rate_option if field in ("annual_rate", "annual-rate") else _OPTION_OF_FIELD.get(
            field, field)
        typer.echo(f"error: {option}: {exc.detail}" if option else f"error: {exc.detail}",
                   err=True)
        raise typer.Exit(2) from None


def _parse(option: str, text: str, parse: Callable[[str], T]) -> T:
    try:
        return parse(text)
    except LendcoreError as exc:
        raise InvalidInput(exc.detail, field=option) from None
    except (ArithmeticError, ValueError):  # e.g. Decimal overflow on "1e999999"
        raise InvalidInput(f"{text!r} is not accepted", field=option) from None


def _required(option: str, text: str | None, accepts: str) -> str:
    if text is None or not text.strip():
        raise InvalidInput(f"is required; accepts {accepts}", field=option)
    return text


def _installments(text: str) -> int:
    accepts = f"a whole number of installments from 1 to {MAX_INSTALLMENTS}"
    stripped = text.strip()
    if not stripped.isdigit() or not 1 <= int(stripped) <= MAX_INSTALLMENTS:
        raise InvalidInput(f"{text!r} is not accepted; accepts {accepts}")
    return int(stripped)


def _annual_rate(annual: str | None, daily: str | None, day_count: DayCount,
                 method: Method) -> Decimal:
    if annual is not None and daily is not None:
        raise InvalidInput("give either --annual-rate or --daily-rate, not both",
                           field="--daily-rate")
    if daily is not None:
        rate = _parse("--daily-rate", daily, lambda t: parse_rate(t, "--daily-rate"))
        return AnnualRate.from_daily(rate, day_count).annual
    if annual is None and method is Method.FLAT_FEE:
        return Decimal(0)  # a flat-fee loan is usually priced by its fee alone
    text = _required("--annual-rate", annual, "a rate like 12% or 0.12 (or --daily-rate 0.05%)")
    return _parse("--annual-rate", text, lambda t: parse_rate(t, "--annual-rate"))


def _terms(raw: dict[str, str | None], today: date) -> ScheduleTerms:
    """Parse every option with the domain's parsers; each error names its option."""
    principal = _parse("--principal", _required("--principal", raw["principal"],
                                                "an amount in yuan such as 5000 or 917.99"),
                       lambda t: parse_yuan(t, "--principal"))
    installments = _parse("--installments", _required(
        "--installments", raw["installments"], "a whole number from 1 to 360"), _installments)
    method = _parse("--method", _required("--method", raw["method"], ", ".join(
        m.value for m in Method)), Method.parse)
    day_count = _parse("--day-count", raw["day_count"] or "ACT/365", DayCount.parse)
    return ScheduleTerms(
        principal_fen=principal,
        installments=installments,
        method=method,
        annual_rate=_annual_rate(raw["annual_rate"], raw["daily_rate"], day_count, method),
        start=_parse("--start", raw["start"], parse_date) if raw["start"] else today,
        fee_rate_per_installment=_parse("--fee-rate-per-installment",
                                        raw["fee_rate"] or "0", parse_rate),
        interest_mode=_parse("--interest", raw["interest"] or "per-period", InterestMode.parse),
        day_count=day_count,
        rounding=_parse("--rounding", raw["rounding"] or "half-up", Rounding.parse),
        installment_multiple_fen=_parse("--installment-multiple", raw["multiple"] or "0.01",
                                        lambda t: parse_yuan(t, "--installment-multiple")),
    )


def quote_command(
    principal: Opt = None,
    installments: Opt = None,
    method: Opt = None,
    annual_rate: Opt = None,
    daily_rate: Opt = None,
    fee_rate_per_installment: Opt = None,
    interest: Opt = None,
    day_count: Opt = None,
    start: Opt = None,
    rounding: Opt = None,
    installment_multiple: Opt = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Quote a loan: its schedule and annual rate (APR by IRR, simple first)."""
    raw = {"principal": principal, "installments": installments, "method": method,
           "annual_rate": annual_rate, "daily_rate": daily_rate,
           "fee_rate": fee_rate_per_installment, "interest": interest, "day_count": day_count,
           "start": start, "rounding": rounding, "multiple": installment_multiple}
    with _cli_errors("--daily-rate" if daily_rate is not None else "--annual-rate"):
        result = quote(_terms(raw, date.today()))  # the CLI alone reads the clock
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if json_output:
        typer.echo(json.dumps(quote_as_json(result), ensure_ascii=False))
    else:
        _print_quote(result)


def quote_as_json(result: Quote) -> dict[str, Any]:
    """The quote's JSON shape: money as yuan strings, rates as fraction strings."""
    rows = [
        {"number": i.number, "due_date": i.due_date.isoformat(),
         "principal": format_yuan(i.principal_fen), "interest": format_yuan(i.interest_fen),
         "fee": format_yuan(i.fee_fen), "total": format_yuan(i.total_fen),
         "balance_after": format_yuan(i.balance_after_fen)}
        for i in result.schedule.installments
    ]
    totals = {k: format_yuan(v) for k, v in result.schedule.totals.items()}
    apr = {"nominal": format_rate(result.apr.nominal),
           "effective": format_rate(result.apr.effective)}
    return {"installments": rows, "totals": totals, "apr": apr}


def _percent(rate: Decimal) -> str:
    return f"{rate * 100:.2f}%"


def _print_quote(result: Quote) -> None:
    console = Console()
    apr = result.apr
    console.print(
        f"[bold]Annual rate (APR, simple 单利): {_percent(apr.nominal)}[/bold]   "
        f"compound (复利): {_percent(apr.effective)}"
    )
    terms = result.schedule.terms
    console.print(f"{format_yuan(terms.principal_fen)} CNY, {terms.installments} installments, "
                  f"{terms.method.value}, contract rate {_percent(terms.annual_rate)} a year "
                  f"({terms.day_count.value}), start {terms.start}")
    table = Table("#", "due date", "principal", "interest", "fee", "total", "balance after")
    for i in result.schedule.installments:
        table.add_row(str(i.number), i.due_date.isoformat(), format_yuan(i.principal_fen),
                      format_yuan(i.interest_fen), format_yuan(i.fee_fen),
                      format_yuan(i.total_fen), format_yuan(i.balance_after_fen))
    totals = result.schedule.totals
    table.add_row("", "total", *(format_yuan(totals[k]) for k in
                                 ("principal", "interest", "fee", "total")), "", style="bold")
    console.print(table)
