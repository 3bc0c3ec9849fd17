"""CLI for servicing: the same service functions as the API, printing JSON.

    lendcore business-date [--set 2026-03-01]
    lendcore customer create
    lendcore line open --customer 1 --product cash-line --limit 20000
    lendcore draw --line 1 --amount 5000 --installments 6 --purpose travel --payee 小米商城
    lendcore checkout --customer 1 --order-id O1 --merchant M1 --amount 3999 --installments 12
    lendcore loan show|schedule|statement ID ;  lendcore loan payoff ID --on 2026-04-01
    lendcore repay --loan ID --amount 917.99 [--on 2026-02-28] [--key K]
    lendcore refund --loan ID --amount 1000 [--key K]
    lendcore serve [--host 127.0.0.1] [--port 8000]
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import typer
from sqlalchemy import Engine

from lendcore.calendar import parse_date
from lendcore.money import parse_yuan
from lendcore.servicing import queries, service
from lendcore.servicing.runner import ensure_business_date, run_command, set_business_date
from lendcore.store.uow import UnitOfWork

loan_app = typer.Typer(help="Show a loan: its summary, schedule, statement, payoff.",
                       no_args_is_help=True)
customer_app = typer.Typer(help="Customers.", no_args_is_help=True)
line_app = typer.Typer(help="Credit lines.", no_args_is_help=True)


def engine() -> Engine:
    """The configured database, migrated, with a business date (today on a fresh one)."""
    from lendcore.store.db import make_engine, upgrade

    eng = make_engine()
    upgrade(eng)
    ensure_business_date(eng, date.today())  # the entry point may read the clock; domain never
    return eng


def echo(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _read(fn: Any, *args: Any) -> None:
    with UnitOfWork(engine(), read_only=True) as uow:
        echo(fn(uow.conn, *args))


def _key(key: str | None) -> str:
    return key or f"cli-{uuid.uuid4()}"


def business_date_cmd(set_: str = typer.Option(None, "--set", help="YYYY-MM-DD")) -> None:
    """Show (or set, on a fresh book) the business date."""
    eng = engine()
    with UnitOfWork(eng) as uow:
        if set_:
            set_business_date(uow.conn, parse_date(set_, "--set"))
            uow.commit()
        from lendcore.servicing.runner import business_date

        echo({"business_date": business_date(uow.conn).isoformat()})


@customer_app.command("create")
def customer_create(name: str = typer.Option("", help="masked name, e.g. 张**"),
                    timezone: str = typer.Option("Asia/Shanghai")) -> None:
    echo(run_command(engine(), "create_customer", None, {"name": name},
                     lambda uow: service.create_customer(uow, name_masked=name,
                                                         timezone=timezone)))


@line_app.command("open")
def line_open(customer: int = typer.Option(...), product: str = typer.Option("cash-line"),
              limit: str = typer.Option(..., help="yuan")) -> None:
    limit_fen = parse_yuan(limit, "--limit")
    echo(run_command(engine(), "open_line", None, {"c": customer, "p": product, "l": limit},
                     lambda uow: service.open_credit_line(uow, customer_id=customer,
                                                          product_code=product,
                                                          limit_fen=limit_fen)))


def draw_cmd(line: int = typer.Option(...), amount: str = typer.Option(..., help="yuan"),
             installments: int = typer.Option(...),
             method: str = typer.Option("equal-installment"),
             purpose: str = typer.Option(...), payee: str = typer.Option(...),
             payee_kind: str = typer.Option("ecosystem"),
             key: str = typer.Option(None, help="idempotency key")) -> None:
    """Draw cash on a credit line."""
    req = service.DrawRequest(line, parse_yuan(amount, "--amount"), installments, method,
                              purpose, payee, payee_kind)
    echo(run_command(engine(), "draw", _key(key), vars_of(req),
                     lambda uow: service.draw(uow, req)))


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


def checkout_cmd(customer: int = typer.Option(...), order_id: str = typer.Option(...),
                 merchant: str = typer.Option(...), amount: str = typer.Option(...),
                 installments: int = typer.Option(...), method: str = typer.Option("flat-fee"),
                 interest_free: bool = typer.Option(False, "--interest-free"),
                 key: str = typer.Option(None)) -> None:
    """An installment loan for a merchant order (the merchant is paid)."""
    req = service.CheckoutRequest(customer, order_id, merchant, parse_yuan(amount, "--amount"),
                                  installments, (), method, interest_free)
    echo(run_command(engine(), "checkout", _key(key), vars_of(req),
                     lambda uow: service.checkout(uow, req)))


def repay_cmd(loan: int = typer.Option(...), amount: str = typer.Option(...),
              on: str = typer.Option(None, help="effective date (back-dated repayment)"),
              key: str = typer.Option(None)) -> None:
    """Post a repayment (today, or back-dated with --on)."""
    fen = parse_yuan(amount, "--amount")
    day = parse_date(on, "--on") if on else None
    k = _key(key)
    echo(run_command(engine(), "repay", k, {"loan": loan, "amount": fen, "on": on},
                     lambda uow: service.repay(uow, loan, fen, day, k)))


def refund_cmd(loan: int = typer.Option(...), amount: str = typer.Option(...),
               key: str = typer.Option(None)) -> None:
    """Refund returned goods on a checkout loan."""
    fen = parse_yuan(amount, "--amount")
    k = _key(key)
    echo(run_command(engine(), "refund", k, {"loan": loan, "amount": fen},
                     lambda uow: service.refund_goods(uow, loan, fen, k)))


def refund_overpayment_cmd(loan: int = typer.Option(...), amount: str = typer.Option(...),
                           key: str = typer.Option(None)) -> None:
    """Pay back money a borrower paid beyond what was owed (overpayment)."""
    fen = parse_yuan(amount, "--amount")
    k = _key(key)
    echo(run_command(engine(), "overpayment_refund", k, {"loan": loan, "amount": fen},
                     lambda uow: service.refund_overpayment(uow, loan, fen, k)))


@loan_app.command("show")
def loan_show(loan_id: int) -> None:
    _read(queries.loan_summary, loan_id)


@loan_app.command("schedule")
def loan_schedule(loan_id: int) -> None:
    _read(queries.schedule, loan_id)


@loan_app.command("statement")
def loan_statement(loan_id: int) -> None:
    _read(queries.statement, loan_id)


@loan_app.command("payoff")
def loan_payoff(loan_id: int, on: str = typer.Option(..., help="YYYY-MM-DD")) -> None:
    _read(queries.payoff_quote, loan_id, parse_date(on, "--on"))


def serve_cmd(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000),
              workers: int = typer.Option(1, min=1, help="server processes (one per core)"),
              log_level: str = typer.Option("info", help="uvicorn's log level"),
              access_log: bool = typer.Option(True, help="log every request")) -> None:
    """Run the REST API (OpenAPI at /openapi.json, docs at /docs)."""
    from lendcore.api.server import serve

    engine().dispose()  # migrate and set the business date once, before any worker starts
    serve(host, port, workers=workers, log_level=log_level, access_log=access_log)


def register(app: typer.Typer) -> None:
    app.command("business-date")(business_date_cmd)
    app.add_typer(customer_app, name="customer")
    app.add_typer(line_app, name="line")
    app.command("draw")(draw_cmd)
    app.command("checkout")(checkout_cmd)
    app.command("repay")(repay_cmd)
    app.command("refund")(refund_cmd)
    app.command("refund-overpayment")(refund_overpayment_cmd)
    app.add_typer(loan_app, name="loan")
    app.command("serve")(serve_cmd)
