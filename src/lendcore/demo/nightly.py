"""The nightly run for the demo: close the open business day over the whole book.

The demo calls the real end-of-day run (``lendcore.eod.run``): partitions closed by the columnar
kernel, ledger postings, provisions, notifications, line freezes and the after-day hooks
(collections' ``sync_cases``, the limit job), through its public ``run_through(url, day)`` with
one worker: the demo's book is small and the simulation waits for each night anyway.

Until the run is importable (it was being written beside the demo) a per-loan fallback closes
the day with the servicing reference ``close_day`` and runs ``sync_cases`` itself; it is slow and
posts no provisions, and the report says which one ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Nightly:
    engine: Engine
    url: str
    real: bool

    def close(self, day: date) -> dict[str, Any]:
        """Close business day ``day``; the business date is ``day + 1`` afterwards."""
        return _close_real(self, day) if self.real else _close_fallback(self.engine, day)


def nightly_for(engine: Engine, url: str) -> Nightly:
    try:
        from lendcore.eod import run as _run  # noqa: F401
    except ImportError:
        return Nightly(engine, url, real=False)
    return Nightly(engine, url, real=True)


def _close_real(nightly: Nightly, day: date) -> dict[str, Any]:
    from lendcore.eod.run import close_through

    reports = close_through(nightly.engine, nightly.url, day, workers=1)
    if len(reports) != 1:
        raise RuntimeError(f"end of day {day}: closed {len(reports)} days, expected 1")
    if reports[0].problems:
        raise RuntimeError(f"end of day {day}: {reports[0].problems[:3]}")
    result: dict[str, Any] = reports[0].as_dict()
    return result


def _close_fallback(engine: Engine, day: date) -> dict[str, Any]:
    from lendcore.collections.service import sync_cases
    from lendcore.ledger.store import post_many
    from lendcore.servicing import repository as repo
    from lendcore.servicing.accrual import close_day
    from lendcore.servicing.ledger_bridge import entries_for
    from lendcore.servicing.model import Totals
    from lendcore.servicing.runner import set_business_date
    from lendcore.store.servicing_tables import loans
    from lendcore.store.uow import UnitOfWork

    with UnitOfWork(engine) as uow:
        ids = uow.conn.execute(select(loans.c.id).where(loans.c.status != "closed")
                               .order_by(loans.c.id)).scalars().all()
        for loan_id in ids:
            state, row = repo.load(uow.conn, loan_id, for_update=True)
            state.totals = Totals()
            close_day(state, day)
            repo.save(uow.conn, state, row.version, day + ONE_DAY)
            post_many(uow.conn, entries_for(
                state.totals, loan_id=loan_id, product_code=row.product_code,
                effective_date=day, checkout=row.kind == "checkout",
                source_key=f"demo-eod:{loan_id}:{day}"))
        set_business_date(uow.conn, day + ONE_DAY)
        uow.commit()
    with UnitOfWork(engine) as uow:
        sync_cases(uow, day + ONE_DAY)
        uow.commit()
    return {"loans": len(ids)}
