"""Test helpers: a book on a real database and a slow, per-loan end of day.

``start_book`` sets the first business date and registers the merchant :data:`MERCHANT`
(``mi-mall``, active), the payee of the helpers' draws and checkouts.
``advance(engine, days)`` closes each business day on every open loan with the reference
``close_day`` and posts each loan's accruals as loan-level entries through the same ledger bridge
the services use. It is the obvious, slow version of the nightly run, so servicing can be tested
across days without depending on the columnar engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from lendcore.clock import advance_business_date, business_date, init_business_date
from lendcore.customers.operations import CreateCustomer, OpenLine
from lendcore.ledger.store import post_many
from lendcore.runner import Command, Context, execute
from lendcore.servicing import repository as repo
from lendcore.servicing.accrual import close_day
from lendcore.servicing.ledger_bridge import entries_for
from lendcore.servicing.model import Totals
from lendcore.servicing.operations import Draw, Item, Repay
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork

CTX = Context(now=datetime(2026, 1, 5, 2, 0, tzinfo=UTC), actor="tester")


def run(engine: Engine, command: Command, key: str | None = None) -> Any:
    """Execute a command as the tests' operator."""
    return execute(engine, command, ctx=CTX, key=key)


MERCHANT = "mi-mall"


def start_book(engine: Engine, day: date) -> None:
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, day)
        add_merchant(uow.conn, MERCHANT, "小米商城", "electronics")
        uow.commit()


def add_merchant(conn: Any, merchant_id: str, name: str = "商户", category: str = "electronics",
                 status: str = "active") -> None:
    """Register a merchant straight through its owner (test set-up: no command, no audit)."""
    from lendcore.merchants import store as merchants

    merchants.insert(conn, merchant_id=merchant_id, name=name, status=status,
                     category=category, registered_on=business_date(conn))


def goods(amount_fen: int) -> tuple[Item, ...]:
    """An order of one item worth ``amount_fen`` (a checkout's items sum to its amount)."""
    return (Item("Xiaomi 14", "electronics", 1, amount_fen),)


def advance(engine: Engine, days: int = 1) -> date:
    for _ in range(days):
        with UnitOfWork(engine) as uow:
            bd = business_date(uow.conn)
            ids = uow.conn.execute(select(loans.c.id).where(loans.c.status != "closed")
                                   .order_by(loans.c.id)).scalars().all()
            for loan_id in ids:
                state, row = repo.load(uow.conn, loan_id, for_update=True)
                state.totals = Totals()
                close_day(state, bd)
                repo.save(uow.batch, state, row, bd + timedelta(days=1))
                entries = entries_for(state.totals, loan_id=loan_id,
                                      product_code=row.product_code, effective_date=bd,
                                      checkout=row.kind == "checkout",
                                      source_key=f"test-eod:{loan_id}:{bd}")
                if entries:
                    post_many(uow.conn, entries)
            advance_business_date(uow.conn, bd)
            uow.commit()
    with UnitOfWork(engine, read_only=True) as uow:
        return business_date(uow.conn)


def new_line(engine: Engine, limit_fen: int = 5_000_000, product: str = "cash-line") -> Any:
    cid = run(engine, CreateCustomer())["customer_id"]
    line = run(engine, OpenLine(cid, product, limit_fen))
    return cid, line["line_id"]


def new_draw(engine: Engine, amount_fen: int = 1_000_000, installments: int = 12,
             method: str = "equal-installment", key: str | None = None) -> int:
    _, line_id = new_line(engine)
    command = Draw(line_id, amount_fen, installments, "travel", MERCHANT, method)
    result = run(engine, command, key or f"draw-{line_id}")
    return int(result["loan_id"])


def repay(engine: Engine, loan_id: int, amount_fen: int, key: str,
          on: date | None = None) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, Repay(loan_id, amount_fen, on), key)
    return result


def audit_problems(engine: Engine) -> list[Any]:
    from lendcore.ledger.store import audit

    with UnitOfWork(engine, read_only=True) as uow:
        return audit(uow.conn)


__all__ = ["replace"]


def make_cli(engine: Engine, monkeypatch: Any, operator: str = "ops.wang") -> Any:
    """``cli(*args) -> (exit code, stdout)`` running the customers and servicing commands on
    ``engine``'s database as ``operator``; a refused command maps as ``lendcore.cli.main`` maps
    it: one line ``error: <field>: <detail>`` and exit 2."""
    import typer
    from typer.testing import CliRunner

    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)
    from lendcore.customers import commands as customers_cli
    from lendcore.errors import LendcoreError
    from lendcore.servicing import commands as servicing_cli

    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LENDCORE_OPERATOR", operator)
    from tests.auth import add_staff

    add_staff(engine, operator, "administrator")  # the local operator is a user
    app = typer.Typer()
    customers_cli.register(app)
    servicing_cli.register(app)

    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args))
        if isinstance(result.exception, LendcoreError):
            return 2, f"error: {result.exception}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout

    return cli
