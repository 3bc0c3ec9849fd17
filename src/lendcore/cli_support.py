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
from typing import Any

import typer
from sqlalchemy import Engine

from lendcore.clock import LENDER_ZONE, Clock, clock_from_environment, ensure_business_date
from lendcore.runner import Command, Context, execute, query

_CLOCK: Clock | None = None


def engine() -> Engine:
    """The configured database, migrated, with a business date (today on a fresh one)."""
    from lendcore.pii import require_keys
    from lendcore.store.db import make_engine, upgrade

    require_keys()  # outside development mode: no development key (one line, exit 2)
    eng = make_engine()
    upgrade(eng)
    ensure_business_date(eng, clock().now().astimezone(LENDER_ZONE).date())
    return eng


def clock() -> Clock:
    global _CLOCK
    if _CLOCK is None:
        _CLOCK = clock_from_environment()
    return _CLOCK


def context() -> Context:
    """The local operator and the server's clock."""
    import getpass
    import os

    actor = os.environ.get("LENDCORE_OPERATOR") or getpass.getuser()
    return Context(now=clock().now(), actor=actor, origin="cli")


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
