"""Running a command: one transaction, an idempotency key, retries on a concurrent change.

``run_command(engine, "repay", key, payload, fn)`` runs ``fn(uow)`` in a unit of work and stores
its JSON result under (key, command) in the same transaction. The same key with the same payload
returns the stored result without running anything again; the same key with another payload is a
``Conflict`` (HTTP 409) that changes nothing. Two concurrent requests with one key: the loser's
insert of the key fails, its transaction rolls back, and it returns the winner's stored result.
A version conflict on the loan (another writer got there first) is retried a bounded number of
times; every retry starts from a fresh read.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lendcore.errors import Conflict, InvalidInput
from lendcore.store.core_tables import idempotency_keys, system_state
from lendcore.store.uow import UnitOfWork

MAX_ATTEMPTS = 20
Result = dict[str, Any]


def payload_hash(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_BUSINESS_DATE = select(system_state.c.value).where(system_state.c.key == "business_date")
_KEY_MATCH = and_(idempotency_keys.c.key == bindparam("key"),
                  idempotency_keys.c.command == bindparam("cmd"))
# The key's earlier result (if any) and the business date, in one round trip.
_FIND_KEY = select(
    _BUSINESS_DATE.scalar_subquery().label("business_date"),
    select(idempotency_keys.c.request_hash).where(_KEY_MATCH)
    .scalar_subquery().label("request_hash"),
    select(idempotency_keys.c.response_json).where(_KEY_MATCH)
    .scalar_subquery().label("response_json"),
)
_STORE_KEY = idempotency_keys.insert()
_CACHED_DATE = "lendcore.business_date"


def _stored(conn: Connection, command: str, key: str, digest: str) -> Result | None:
    row = conn.execute(_FIND_KEY, {"key": key, "cmd": command}).one()
    if row.business_date is not None:  # the command's business date, read once
        conn.info[_CACHED_DATE] = date.fromisoformat(row.business_date)
    if row.request_hash is None:
        return None
    if row.request_hash != digest:
        raise Conflict(f"idempotency key {key!r} was already used for a different {command} "
                       "request", field="Idempotency-Key", code="idempotency_conflict")
    result: Result = json.loads(row.response_json)
    return result


@contextmanager
def _date_cache_cleared(conn: Connection) -> Iterator[None]:
    """The business date read with the key lives for one command only: the connection goes
    back to the pool afterwards, and the next user must read the date afresh."""
    conn.info.pop(_CACHED_DATE, None)
    try:
        yield
    finally:
        conn.info.pop(_CACHED_DATE, None)


def run_command(engine: Engine, command: str, key: str | None, payload: dict[str, Any],
                fn: Callable[[UnitOfWork], Result]) -> Result:
    if key is not None and not 1 <= len(key) <= 128:
        raise InvalidInput("must be 1 to 128 characters", field="Idempotency-Key")
    digest = payload_hash(payload)
    for attempt in range(MAX_ATTEMPTS):
        try:
            with UnitOfWork(engine) as uow, _date_cache_cleared(uow.conn):
                if key is not None:
                    previous = _stored(uow.conn, command, key, digest)
                    if previous is not None:
                        return previous
                result = fn(uow)
                if key is not None:
                    uow.batch.add(_STORE_KEY, {
                        "key": key, "command": command, "request_hash": digest,
                        "status_code": 200,
                        "response_json": json.dumps(result, sort_keys=True, default=str)})
                uow.commit()
                return result
        except IntegrityError:
            if key is None:
                raise
            # Lost a race on the same key: the winner's result (or a conflict) is now stored.
            with UnitOfWork(engine) as uow:
                previous = _stored(uow.conn, command, key, digest)
            if previous is not None:
                return previous
            raise
        except (Conflict, OperationalError) as exc:
            if isinstance(exc, Conflict) and exc.code != "concurrent_update":
                raise
            time.sleep(min(0.002 * (attempt + 1), 0.05))
    raise Conflict("the loan is too busy; retry later", field="loan_id", code="busy")


BUSINESS_DATE_KEY = "business_date"


def business_date(conn: Connection) -> date:
    """The open business date; inside a keyed command, the one read with its key."""
    cached = conn.info.get(_CACHED_DATE)
    if isinstance(cached, date):
        return cached
    row = conn.execute(_BUSINESS_DATE).first()
    if row is None:
        raise InvalidInput("the business date is not set; run `lendcore business-date set "
                           "YYYY-MM-DD` (or any command that initialises it)",
                           field="business_date", code="no_business_date")
    return date.fromisoformat(row[0])


def set_business_date(conn: Connection, day: date) -> None:
    updated = conn.execute(system_state.update()
                           .where(system_state.c.key == BUSINESS_DATE_KEY)
                           .values(value=day.isoformat()))
    if updated.rowcount == 0:
        conn.execute(system_state.insert().values(key=BUSINESS_DATE_KEY, value=day.isoformat()))


def ensure_business_date(engine: Engine, default: date) -> date:
    """The stored business date, initialised to ``default`` on a fresh database."""
    with UnitOfWork(engine) as uow:
        try:
            return business_date(uow.conn)
        except InvalidInput:
            set_business_date(uow.conn, default)
            uow.commit()
            return default
