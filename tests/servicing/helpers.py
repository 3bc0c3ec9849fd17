"""Test helpers: a book on a real database and a slow, per-loan end of day.

``advance(engine, days)`` closes each business day on every open loan with the reference
``close_day`` and posts each loan's accruals as loan-level entries through the same ledger bridge
the services use. It is the obvious, slow version of the nightly run, so servicing can be tested
across days without depending on the columnar engine.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from lendcore.ledger.store import post_many
from lendcore.servicing import repository as repo
from lendcore.servicing import service
from lendcore.servicing.accrual import close_day
from lendcore.servicing.ledger_bridge import entries_for
from lendcore.servicing.model import Totals
from lendcore.servicing.runner import business_date, run_command, set_business_date
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork


def start_book(engine: Engine, day: date) -> None:
    with UnitOfWork(engine) as uow:
        set_business_date(uow.conn, day)
        uow.commit()


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
            set_business_date(uow.conn, bd + timedelta(days=1))
            uow.commit()
    with UnitOfWork(engine, read_only=True) as uow:
        return business_date(uow.conn)


def new_line(engine: Engine, limit_fen: int = 5_000_000, product: str = "cash-line") -> Any:
    customer = run_command(engine, "c", None, {}, lambda u: service.create_customer(u))
    cid = customer["customer_id"]
    line = run_command(engine, "l", None, {}, lambda u: service.open_credit_line(
        u, customer_id=cid, product_code=product, limit_fen=limit_fen))
    return cid, line["line_id"]


def new_draw(engine: Engine, amount_fen: int = 1_000_000, installments: int = 12,
             method: str = "equal-installment", key: str | None = None) -> int:
    _, line_id = new_line(engine)
    req = service.DrawRequest(line_id, amount_fen, installments, method, "travel", "小米商城",
                              "ecosystem")
    result = run_command(engine, "draw", key, {"req": repr(req)}, lambda u: service.draw(u, req))
    return int(result["loan_id"])


def repay(engine: Engine, loan_id: int, amount_fen: int, key: str,
          on: date | None = None) -> dict[str, Any]:
    return run_command(engine, "repay", key, {"loan": loan_id, "amount": amount_fen,
                                              "on": str(on)},
                       lambda u: service.repay(u, loan_id, amount_fen, on, key))


def audit_problems(engine: Engine) -> list[Any]:
    from lendcore.ledger.store import audit

    with UnitOfWork(engine, read_only=True) as uow:
        return audit(uow.conn)


__all__ = ["replace"]
