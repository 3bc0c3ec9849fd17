"""One clock: the business date is the server's (clock.py).

Started once on a fresh book, moved only by the nightly run; a fresh book started by any command
starts on the server clock's date (a development clock included); no command starts a calendar
under an unfinished bulk load; a fixed clock is refused outside development mode.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from lendcore import clock
from lendcore.errors import Conflict, InvalidInput
from lendcore.store.core_tables import system_state
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    eng = make_engine(f"sqlite:///{tmp_path}/clock.db")
    upgrade(eng)
    yield eng
    eng.dispose()


def test_a_fresh_book_has_no_business_date_until_one_is_started(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as err:
        clock.business_date(uow.conn)
    assert err.value.code == "no_business_date" and "--init" in err.value.detail


def test_the_calendar_is_started_once_and_then_only_the_night_moves_it(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        clock.init_business_date(uow.conn, date(2026, 3, 1))
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(Conflict):
        clock.init_business_date(uow.conn, date(2030, 1, 1))
    assert clock.ensure_business_date(engine, date(2030, 1, 1)) == date(2026, 3, 1)
    with UnitOfWork(engine) as uow:
        with pytest.raises(Conflict):  # closing a day that is not the open one
            clock.advance_business_date(uow.conn, date(2026, 3, 5))
        assert clock.advance_business_date(uow.conn, date(2026, 3, 1)) == date(2026, 3, 2)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert clock.business_date(uow.conn) == date(2026, 3, 2)


def test_no_calendar_starts_under_an_unfinished_bulk_load(engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        uow.conn.execute(system_state.insert().values(key=clock.BOOK_LOADING_KEY,
                                                      value="2026-12-03T10:00"))
        uow.commit()
    with pytest.raises(Conflict) as err:
        clock.ensure_business_date(engine, date(2026, 3, 1))
    assert err.value.code == "book_loading"
    with UnitOfWork(engine) as uow:
        assert not clock.has_business_date(uow.conn)


def _cli(args: list[str], db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LENDCORE_DATABASE_URL": f"sqlite:///{db}", **env}
    full.pop("LENDCORE_CLOCK", None) if "LENDCORE_CLOCK" not in env else None
    return subprocess.run([sys.executable, "-c", "from lendcore.cli import main; main()", *args],
                          env=full, capture_output=True, text=True, timeout=120)


def test_a_fresh_book_starts_on_the_server_clocks_date(tmp_path: Path) -> None:
    r = _cli(["business-date"], tmp_path / "a.db", LENDCORE_MODE="development",
             LENDCORE_CLOCK="2026-03-01T23:30+00:00")  # 07:30 on 2 March in Beijing
    assert r.returncode == 0, r.stderr
    assert '"2026-03-02"' in r.stdout


def test_a_fixed_clock_is_refused_outside_development_mode(tmp_path: Path) -> None:
    r = _cli(["business-date"], tmp_path / "b.db", LENDCORE_MODE="production",
             LENDCORE_CLOCK="2030-01-01T10:00+08:00")
    assert r.returncode != 0
    assert "development" in r.stderr and "Traceback" not in r.stderr


def test_the_system_clock_is_aware_utc() -> None:
    now = clock.SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == UTC.utcoffset(datetime.now(UTC))
