"""CLI: ``lendcore business-date [--init YYYY-MM-DD]``.

The business date is the server's: ``--init`` starts the calendar of a fresh book (refused once
it has one); afterwards only ``lendcore eod run`` moves it.
"""

from __future__ import annotations

import typer

from lendcore.calendar import parse_date
from lendcore.cli_support import clock, echo
from lendcore.clock import (
    LENDER_ZONE,
    business_date,
    ensure_business_date,
    init_business_date,
)
from lendcore.store.uow import UnitOfWork


def business_date_cmd(init: str = typer.Option(
        None, "--init", help="YYYY-MM-DD: start a fresh book's calendar (once)")) -> None:
    """Show the business date (or start a fresh book's calendar with --init)."""
    from lendcore.store.db import make_engine, upgrade

    eng = make_engine()
    upgrade(eng)
    if not init:
        today = clock().now().astimezone(LENDER_ZONE).date()
        echo({"business_date": ensure_business_date(eng, today).isoformat()})
        return
    with UnitOfWork(eng) as uow:
        init_business_date(uow.conn, parse_date(init, "--init"))
        uow.commit()
        echo({"business_date": business_date(uow.conn).isoformat()})


def register(app: typer.Typer) -> None:
    app.command("business-date")(business_date_cmd)
