"""What every CLI command module shares: the engine, the command context, output, keys.

The CLI runs where the database's credentials are (like ``psql``). Commands are built as the
same objects the API builds and run through ``runner.execute``; a money-moving command without
``--key`` gets a fresh one (``cli-<uuid>``), and a CLI call with ``--key K`` is the same command as
the API request with ``Idempotency-Key: K``. The local operator (``LENDCORE_OPERATOR``, default
the OS user) is the actor, "cli" the origin of its audit records; the time is the server's clock
(``clock_from_environment``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import typer
from sqlalchemy import Engine

from lendcore.clock import LENDER_ZONE, Clock, clock_from_environment, ensure_business_date
from lendcore.principal import Principal
from lendcore.runner import Command, Context, execute, query
from lendcore.store.uow import UnitOfWork

_CLOCK: Clock | None = None


def engine() -> Engine:
    """The configured database, migrated, with a business date (today on a fresh one)."""
    eng = migrated_engine()
    ensure_business_date(eng, clock().now().astimezone(LENDER_ZONE).date())
    return eng


def migrated_engine() -> Engine:
    """The configured database, migrated (its business date left as it is)."""
    from lendcore.pii import require_keys
    from lendcore.store.db import make_engine, upgrade

    require_keys()  # outside development mode: no development key (one line, exit 2)
    eng = make_engine()
    upgrade(eng)
    return eng


def clock() -> Clock:
    global _CLOCK
    if _CLOCK is None:
        _CLOCK = clock_from_environment()
    return _CLOCK


def operator_name() -> str:
    """The local operator: ``LENDCORE_OPERATOR``, or the OS user."""
    import getpass
    import os

    return os.environ.get("LENDCORE_OPERATOR") or getpass.getuser()


_PRINCIPALS: dict[tuple[str, str], Principal] = {}
# Who the local operator is: ``access.service.local_operator``, wired by ``access.commands``
# at import (the access package stands above this module; it is not imported from here).
OperatorResolver = Callable[[UnitOfWork, str, datetime], Principal]
_RESOLVER: list[OperatorResolver] = []


def use_operator_resolver(resolver: OperatorResolver) -> None:
    _RESOLVER[:] = [resolver]


def principal() -> Principal:
    """The local operator as a principal, with their roles (``access.service.local_operator``:
    on a database with no user yet, the first local operator becomes its administrator). Read
    once per process, database and operator."""
    from lendcore import config

    setting = (config.database_url(), operator_name())
    found = _PRINCIPALS.get(setting)
    if found is None:
        if not _RESOLVER:
            raise RuntimeError("no local-operator resolver is wired (import "
                               "lendcore.access.commands)")
        eng = migrated_engine()
        with UnitOfWork(eng) as uow:
            found = _RESOLVER[0](uow, setting[1], clock().now())
            uow.commit()
        eng.dispose()
        _PRINCIPALS.clear()
        _PRINCIPALS[setting] = found
    return found


def require(permission: str, what: str) -> None:
    """Refuse (exit 2, one line) a CLI command the local operator's roles do not allow."""
    from lendcore.errors import Forbidden

    who = principal()
    if not who.may(permission):
        raise Forbidden(f"{who.actor} ({who.role or 'no role'}) may not run `lendcore {what}` "
                        f"(needs the permission {permission!r})", field="LENDCORE_OPERATOR")


def context() -> Context:
    """The local operator (their roles) and the server's clock."""
    who = principal()
    return Context(now=clock().now(), actor=who.actor, origin="cli", role=who.role,
                   principal=who)


def echo(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def new_key(key: str | None) -> str:
    return key or f"cli-{uuid.uuid4()}"


def run(command: Command, key: str | None = None, *, eng: Engine | None = None) -> Any:
    """Execute ``command`` as the local operator; money-moving commands get a key."""
    if command.requires_key:
        key = new_key(key)
    return execute(eng or engine(), command, ctx=context(), key=key)


def read(fn: Any, *args: Any) -> Any:
    return query(engine(), fn, *args)
