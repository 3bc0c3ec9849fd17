"""The nightly run for the demo: close the open business day over the whole book.

The demo calls the real end-of-day run (``lendcore.eod.run``): partitions closed by the columnar
kernel, ledger postings, provisions, notifications, line freezes and the night's steps as the
composition wires them (:func:`lendcore.wiring.night_steps`: collections' case sync, the limit
review), through ``close_through(engine, url, day, steps=...)`` with one worker: the demo's book
is small and the simulation waits for each night anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Nightly:
    engine: Engine
    url: str
    real: bool

    def close(self, day: date) -> dict[str, Any]:
        """Close business day ``day``; the business date is ``day + 1`` afterwards."""
        return _close_real(self, day)


def nightly_for(engine: Engine, url: str) -> Nightly:
    return Nightly(engine, url, real=True)


def _close_real(nightly: Nightly, day: date) -> dict[str, Any]:
    from lendcore.eod.run import close_through
    from lendcore.wiring import night_steps

    reports = close_through(nightly.engine, nightly.url, day, steps=night_steps(), workers=1)
    if len(reports) != 1:
        raise RuntimeError(f"end of day {day}: closed {len(reports)} days, expected 1")
    if reports[0].problems:
        raise RuntimeError(f"end of day {day}: {reports[0].problems[:3]}")
    result: dict[str, Any] = reports[0].as_dict()
    return result
