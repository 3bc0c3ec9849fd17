"""SQLite writers queue on a lock file, and a server checkpoints the WAL off the request path."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select, text

from lendcore.store.core_tables import system_state
from lendcore.store.db import checkpoint_in_background, make_engine, upgrade
from lendcore.store.uow import UnitOfWork


def test_a_second_writer_waits_for_the_first_to_finish_then_sees_its_write(
        tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/w.db")
    upgrade(engine)
    entered, seen = threading.Event(), []

    def second() -> None:
        with UnitOfWork(engine) as uow:
            entered.set()
            seen.append(uow.conn.execute(select(system_state.c.value)
                                         .where(system_state.c.key == "k")).scalar())
            uow.commit()

    with UnitOfWork(engine) as uow:
        uow.conn.execute(system_state.insert(), {"key": "k", "value": "first"})
        other = threading.Thread(target=second)
        other.start()
        assert not entered.wait(0.3)  # queued at the lock, not inside a transaction
        # A read-only unit of work is not a writer: it reads alongside.
        with UnitOfWork(engine, read_only=True) as reader:
            assert reader.conn.execute(select(system_state)).all() == []
        uow.commit()
    other.join(10)
    assert seen == ["first"]
    assert (tmp_path / "w.db-writer").exists()


def test_a_server_engine_leaves_checkpoints_to_its_background_thread(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/c.db")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    thread = checkpoint_in_background(engine, every_seconds=0.05)
    assert thread is not None and thread.is_alive()
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 100_000
    assert checkpoint_in_background(make_engine("sqlite://")) is None
