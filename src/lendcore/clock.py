"""One clock: the business date the server owns, and the time of day it reads.

The **business date** is the lender's open day, stored in ``system_state`` and read here only.
Nobody chooses it: a request or a CLI option never sets an application, decision or contact
date. It is set once on a fresh book (:func:`init_business_date`) and afterwards moved only by the
nightly run, which closes day *x* and opens *x* + 1 (:func:`advance_business_date`)::

    business date 2026-03-01  --(lendcore eod run)-->  business date 2026-03-02

The **time of day** (when a decision was taken, when a collector called) comes from a
:class:`Clock` the composition hands to the entry points: the system's clock in production, a
:class:`SimulatedClock` in the demo and in tests. Services receive it as an argument (the domain
never reads the wall clock), so the API and the CLI stamp a command with the same server time and
no caller can pick it.

Inside a command the business date is read once, with the idempotency key
(``runner.execute``), and kept on the connection for that command only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select

from lendcore.errors import ConfigurationError, Conflict, InvalidInput
from lendcore.store.core_tables import system_state

BUSINESS_DATE_KEY = "business_date"
# Present while a bulk loader (the tools' book generator) fills an empty book: no command may
# start a calendar under it.
BOOK_LOADING_KEY = "portfolio_generate"
LENDER_ZONE = ZoneInfo("Asia/Shanghai")  # the lender's books are kept in Beijing time
BUSINESS_DATE_QUERY = select(system_state.c.value).where(
    system_state.c.key == BUSINESS_DATE_KEY)
_CACHED = "lendcore.business_date"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, time-zone aware."""
        ...


class SystemClock:
    """The server's clock (UTC): production."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock someone moves on purpose: the demo's simulated days, a test's fixed instant.

    Chosen by the composition (never by a request): ``LENDCORE_CLOCK=2026-03-01T21:30+08:00``
    starts a development server on a fixed instant, refused outside development mode.
    """

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a simulated clock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("a simulated clock needs an aware datetime")
        self._at = at

    def on(self, day: date, at: time = time(10, 0)) -> None:
        """Move to ``at`` (lender's time) on ``day``."""
        self._at = datetime.combine(day, at, LENDER_ZONE)


def clock_from_environment() -> Clock:
    """The system clock, or the fixed instant of ``LENDCORE_CLOCK`` in development mode."""
    fixed = os.environ.get("LENDCORE_CLOCK")
    if not fixed:
        return SystemClock()
    from lendcore.config import development_mode

    if not development_mode():
        raise ConfigurationError("LENDCORE_CLOCK (a fixed clock) is for development only; "
                           "unset it or set LENDCORE_MODE=development")
    try:
        at = datetime.fromisoformat(fixed)
    except ValueError:
        raise ConfigurationError(f"LENDCORE_CLOCK={fixed!r} is not an ISO time with an offset",
                                 field="LENDCORE_CLOCK") from None
    if at.tzinfo is None:
        raise ConfigurationError("LENDCORE_CLOCK needs an offset, e.g. 2026-03-01T21:30+08:00")
    return SimulatedClock(at)


# -- the business date ---------------------------------------------------------------------------
def business_date(conn: Connection) -> date:
    """The open business date (inside a command: the one read with its idempotency key)."""
    cached = conn.info.get(_CACHED)
    if isinstance(cached, date):
        return cached
    value = conn.execute(BUSINESS_DATE_QUERY).scalar_one_or_none()
    if value is None:
        raise InvalidInput("the book has no business date yet; `lendcore business-date "
                           "--init YYYY-MM-DD` starts one (any command on a fresh database starts "
                           "today)", field="business_date", code="no_business_date")
    return date.fromisoformat(value)


def remember(conn: Connection, value: str | None) -> None:
    """Keep the business date read with a command's idempotency key for that command."""
    if value is not None:
        conn.info[_CACHED] = date.fromisoformat(value)


@contextmanager
def command_scope(conn: Connection) -> Iterator[None]:
    """The remembered date lives for one command: the connection goes back to the pool after,
    and its next user reads the date afresh."""
    conn.info.pop(_CACHED, None)
    try:
        yield
    finally:
        if not conn.invalidated:  # a lost server's connection: its info is gone with it
            conn.info.pop(_CACHED, None)


def has_business_date(conn: Connection) -> bool:
    return conn.execute(BUSINESS_DATE_QUERY).scalar_one_or_none() is not None


def init_business_date(conn: Connection, day: date) -> None:
    """Start the book's calendar on ``day``; refused once it has one (only the night moves it)."""
    current = conn.execute(BUSINESS_DATE_QUERY).scalar_one_or_none()
    if current is not None:
        raise Conflict(f"the business date is already {current}; only the nightly run "
                       "(`lendcore eod run`) moves it", field="business_date",
                       code="business_date_set")
    conn.execute(system_state.insert().values(key=BUSINESS_DATE_KEY, value=day.isoformat()))


def ensure_business_date(engine: Engine, default: date) -> date:
    """The stored business date, started on ``default`` on a fresh database."""
    from lendcore.store.uow import UnitOfWork

    with UnitOfWork(engine) as uow:
        value = uow.conn.execute(BUSINESS_DATE_QUERY).scalar_one_or_none()
        if value is not None:
            return date.fromisoformat(value)
        loading = uow.conn.execute(select(system_state.c.value).where(
            system_state.c.key == BOOK_LOADING_KEY)).scalar_one_or_none()
        if loading is not None:
            raise Conflict(f"a bulk load of the book started {loading} is unfinished; wait for "
                           "it (or run `lendcore portfolio generate` again to clean it up)",
                           field="business_date", code="book_loading")
        init_business_date(uow.conn, default)
        uow.commit()
        return default


def advance_business_date(conn: Connection, closed: date) -> date:
    """The nightly run closed ``closed``: the open day becomes the next one."""
    current = business_date(conn)
    if current != closed:
        raise Conflict(f"cannot close {closed}: the business date is {current}",
                       field="business_date", code="business_date_moved")
    opened = closed + timedelta(days=1)
    conn.execute(system_state.update().where(system_state.c.key == BUSINESS_DATE_KEY)
                 .values(value=opened.isoformat()))
    conn.info.pop(_CACHED, None)
    return opened
