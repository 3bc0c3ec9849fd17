"""The closing write batch: same effect on both databases, one round trip on PostgreSQL, row-count
checks that refuse a lost update, and errors that roll the whole command back."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, bindparam, event, func, select
from sqlalchemy.exc import IntegrityError

from lendcore.errors import Conflict
from lendcore.store.core_tables import idempotency_keys, system_state
from lendcore.store.uow import UnitOfWork

_KEY = idempotency_keys.insert()
_SET = (system_state.update().where(system_state.c.key == bindparam("b_key"))
        .values(value=bindparam("value")))


def _key(name: str) -> dict[str, object]:
    return {"key": name, "command": "t", "request_hash": "h", "status_code": 200,
            "response_json": "{}"}


def _keys(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(idempotency_keys.c.key).order_by(idempotency_keys.c.key))
                    .scalars())


def test_batched_writes_land_at_commit_in_one_round_trip_on_postgres(engine: Engine) -> None:
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    with UnitOfWork(engine) as uow:
        uow.conn.execute(system_state.insert(), {"key": "probe", "value": "1"})
        sent.clear()
        uow.batch.add(_KEY, _key("a"))
        uow.batch.add(_KEY, [_key("b"), _key("c")])
        uow.batch.add(_SET, {"b_key": "probe", "value": "2"}, expect_rows=1)
        uow.commit()
        during = [s for s in sent if not s.startswith("BEGIN")]
    assert _keys(engine) == ["a", "b", "c"]
    with engine.connect() as conn:
        assert conn.execute(select(system_state.c.value)
                            .where(system_state.c.key == "probe")).scalar_one() == "2"
    # PostgreSQL: the batch bypasses per-statement execution (one pipeline); SQLite runs each.
    assert len(during) == (0 if engine.dialect.name == "postgresql" else 3)


def test_a_row_count_other_than_expected_refuses_the_command(engine: Engine) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(Conflict) as caught:
        uow.batch.add(_KEY, _key("kept-out"))
        # SQLite checks at once, PostgreSQL when the batch is sent: either way before commit.
        uow.batch.add(_SET, {"b_key": "no-such-key", "value": "x"}, expect_rows=1,
                      conflict=Conflict("changed concurrently", field="loan_id",
                                        code="concurrent_update"))
        uow.commit()
    assert caught.value.code == "concurrent_update"
    assert _keys(engine) == []  # nothing of the refused command was written


def test_a_failing_statement_is_sqlalchemys_integrity_error_and_writes_nothing(
        engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.batch.add(_KEY, _key("dup"))
        uow.commit()
    with UnitOfWork(engine) as uow, pytest.raises(IntegrityError):
        uow.conn.execute(system_state.insert(), {"key": "before", "value": "1"})
        uow.batch.add(_KEY, _key("fresh"))
        uow.batch.add(_KEY, _key("dup"))
        uow.commit()
    assert _keys(engine) == ["dup"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(system_state)
                            .where(system_state.c.key == "before")).scalar_one() == 0


def test_booleans_and_dates_go_through_the_types_bind_processing(engine: Engine) -> None:
    from lendcore.store.collections_tables import collection_agencies as agencies

    with UnitOfWork(engine) as uow:
        uow.batch.add(agencies.insert(), [
            {"code": c, "name": c, "last_reviewed_on": date(2026, 2, 28), "active": a}
            for c, a in (("off", False), ("on", True))])
        uow.commit()
    with engine.connect() as conn:
        rows = conn.execute(select(agencies.c.code, agencies.c.last_reviewed_on,
                                   agencies.c.active).order_by(agencies.c.code)).all()
    assert [tuple(r) for r in rows] == [("off", date(2026, 2, 28), False),
                                        ("on", date(2026, 2, 28), True)]
