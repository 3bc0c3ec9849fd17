"""Commands are values: one convention for every state-changing operation.

A command is a frozen dataclass naming what is asked (``Repay(loan_id=1000001,
amount_fen=91799)``). The API, the CLI and the demo build the same object from their inputs and
hand it to :func:`execute`, which runs it in one unit of work::

    execute(engine, Repay(1000001, 91799), key="pay-42", ctx=Context(now=clock.now()))

- ``canonical()`` is the command's one JSON form: the idempotency payload (and, personal data
  redacted, the audit record's). The same key sent from the API and from the CLI is the same
  command, because both build the same object.
- ``run(uow, ctx)`` calls the owning service and returns a domain value; ``present(value)`` is
  the view (yuan strings, labels) stored with the key and returned to the caller.
- The idempotency key, the actor and the server's time (``ctx``) are not part of the payload.
- Every command is in the audit trail (``lendcore.audit``): who (``ctx.actor``, ``ctx.role``),
  from where (``ctx.origin``), when (``ctx.now``), the canonical command (personal data
  redacted: ``Command.audited``), the outcome and the key. A command that runs appends its
  record as the last write of its own transaction (so a change without its record cannot
  commit); a refused one (a ``LendcoreError``) appends a record with the error's code in a small
  transaction of its own after the rollback; a replay of a stored result appends a record with
  the outcome ``replayed``.

The same key with the same payload returns the stored result without running anything again;
the same key with another payload is a ``Conflict`` (409) that changes nothing. Two concurrent
requests with one key: the loser's insert of the key fails, its transaction rolls back, and it
returns the winner's stored result. A concurrent change on the loan (``concurrent_update``) is
retried a bounded number of times, each retry from a fresh read.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import hashlib
import json
import re
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import Connection, Engine, and_, bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lendcore import audit, clock, pending, scope
from lendcore.errors import Conflict, Forbidden, InvalidInput, LendcoreError
from lendcore.principal import Principal
from lendcore.store.core_tables import idempotency_keys
from lendcore.store.uow import UnitOfWork

MAX_ATTEMPTS = 20
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
KEY_RULE = "1 to 128 characters: ASCII letters, digits and . _ : @ / + = -, starting with a " \
           "letter or digit"
Result = dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    """Who runs a command, from where and when, as the server knows it (never the caller's
    say). ``origin``: "api <client address>", "cli", or "local" (a program calling in)."""

    now: datetime
    actor: str = "local"
    origin: str = "local"
    role: str | None = None  # the principal's roles, comma-separated
    # Who signed in (the API) or the local operator (the CLI); None: code in this process that
    # holds the database's credentials itself (the night, the demo, a test), which the
    # permission table does not govern and four eyes do not stop.
    principal: Principal | None = None
    # True while a four-eyes proposal is rehearsed (run, then rolled back) for its maker: a
    # check that only a checker can pass (not the waiver's offerer) waits for the real run.
    rehearsal: bool = False


COMMANDS: dict[str, type[Command]] = {}  # every command class by name (four eyes rebuild them)


class Command:
    """Base of every command; subclasses are ``@dataclass(frozen=True, slots=True)``.

    ``permission`` is the one permission (``access.policy``) a principal needs to run it;
    ``subject()`` names the record it acts on, so the runner can hold a borrower to their own
    (``scope``); ``needs_checker(conn)`` says why a second person must approve it (four eyes),
    or None."""

    name: ClassVar[str]
    permission: ClassVar[str] = ""
    requires_key: ClassVar[bool] = False  # money-moving commands need an idempotency key

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:  # (a slots dataclass re-registers its final class)
            COMMANDS[cls.name] = cls

    def subject(self) -> scope.Subject | None:
        return None

    def needs_checker(self, conn: Connection) -> str | None:
        return None

    def run(self, uow: UnitOfWork, ctx: Context) -> Any:
        raise NotImplementedError

    def present(self, value: Any) -> Result:
        result: Result = value
        return result

    def canonical(self) -> dict[str, Any]:
        """The command's fields as plain JSON values, in field order."""
        return {f.name: _plain(getattr(self, f.name))
                for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def audited(self, canonical: dict[str, Any]) -> dict[str, Any]:
        """What the audit trail keeps of ``canonical``: all of it but personal data (names, ID,
        phone and card numbers, addresses: ``audit.PERSONAL_FIELDS``), which is redacted. A
        command carrying personal data may override this (e.g. with a blind index)."""
        kept: dict[str, Any] = audit.redact(canonical)
        return kept


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def payload_hash(payload: dict[str, Any]) -> str:
    return _digest(audit.canonical_payload(payload))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    if key is not None and not KEY_PATTERN.fullmatch(key):
        raise InvalidInput(f"must be {KEY_RULE}", field="Idempotency-Key")
    return key


_KEY_MATCH = and_(idempotency_keys.c.key == bindparam("key"),
                  idempotency_keys.c.command == bindparam("cmd"))
# The key's earlier result (if any) and the business date, in one round trip.
_FIND_KEY = select(
    clock.BUSINESS_DATE_QUERY.scalar_subquery().label("business_date"),
    select(idempotency_keys.c.request_hash).where(_KEY_MATCH)
    .scalar_subquery().label("request_hash"),
    select(idempotency_keys.c.response_json).where(_KEY_MATCH)
    .scalar_subquery().label("response_json"),
)
_STORE_KEY = idempotency_keys.insert()


def _stored(conn: Connection, command: str, key: str, digest: str) -> Result | None:
    row = conn.execute(_FIND_KEY, {"key": key, "cmd": command}).one()
    clock.remember(conn, row.business_date)
    if row.request_hash is None:
        return None
    if row.request_hash != digest:
        raise Conflict(f"idempotency key {key!r} was already used for a different {command} "
                       "request", field="Idempotency-Key", code="idempotency_conflict")
    result: Result = json.loads(row.response_json)
    return result


def execute(engine: Engine, command: Command, *, ctx: Context, key: str | None = None) -> Result:
    """Run ``command`` once in one transaction; its presented result (stored under ``key``).

    Its audit record is appended whatever the outcome (see the module's docstring)."""
    canonical = command.canonical()
    payload = audit.canonical_payload(canonical)  # the idempotency payload
    kept = command.audited(canonical)
    audited = payload if kept is canonical else audit.canonical_payload(kept)
    try:
        authorize(ctx.principal, command)
        return _execute(engine, command, ctx, key, payload, audited)
    except LendcoreError as exc:
        _audit_alone(engine, command, ctx, key, audited, exc.code)
        raise
    except Exception:
        # Not a refusal but a failure (a bug, the database gone): recorded if the database
        # still takes it; the failure itself (not the record's) is what the caller sees.
        with contextlib.suppress(Exception):
            _audit_alone(engine, command, ctx, key, audited, "internal_error")
        raise


def authorize(principal: Principal | None, command: Command) -> None:
    """Refuse (403) a principal without the command's permission, before anything is read."""
    if principal is not None and not principal.may(command.permission or "(undeclared)"):
        raise Forbidden(f"{principal.actor} ({principal.role or 'no role'}) may not "
                        f"{command.name} (needs the permission {command.permission!r})")


def _audit_alone(engine: Engine, command: Command, ctx: Context, key: str | None, payload: str,
                 outcome: str) -> None:
    """A record for a command whose own transaction rolled back, in a transaction of its own."""
    valid_key = key if key is not None and KEY_PATTERN.fullmatch(key) else None
    with UnitOfWork(engine) as uow:
        audit.append(uow, audit.entry(ctx, command.name, payload, outcome, valid_key))
        uow.commit()


def _execute(engine: Engine, command: Command, ctx: Context, key: str | None,
             payload: str, audited: str) -> Result:
    check_key(key)
    if key is None and command.requires_key:
        raise InvalidInput(f"{command.name} moves money and needs an idempotency key",
                           field="Idempotency-Key", code="idempotency_key_required")
    digest = _digest(payload) if key is not None else ""
    rehearsed = False
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _attempt(engine, command, ctx, key, digest, payload, audited, rehearsed)
        except _NeedsChecker:
            _rehearse(engine, command, ctx)  # a command that cannot run is refused now
            rehearsed = True
        except IntegrityError:
            if key is None:
                raise
            # Lost a race on the same key: the winner's result (or a conflict) is now stored.
            with UnitOfWork(engine) as uow:
                previous = _stored(uow.conn, command.name, key, digest)
                if previous is not None:
                    audit.append(uow, audit.entry(ctx, command.name, audited, "replayed", key))
                    uow.commit()
            if previous is not None:
                return previous
            raise
        except (Conflict, OperationalError) as exc:
            if isinstance(exc, Conflict) and exc.code != "concurrent_update":
                raise
            time.sleep(min(0.002 * (attempt + 1), 0.05))
    raise Conflict("the loan is too busy; retry later", field="loan_id", code="busy")


class _NeedsChecker(Exception):
    """The command waits for a checker: rehearse it first, then propose it."""


def _rehearse(engine: Engine, command: Command, ctx: Context) -> None:
    """Run ``command`` in a unit of work that is rolled back: a proposal that could never run
    (a line that exists, a limit out of range) is refused to its maker at once, instead of
    waiting for a checker and blocking its own corrected copy."""
    with UnitOfWork(engine) as uow, clock.command_scope(uow.conn):
        command.run(uow, dataclasses.replace(ctx, rehearsal=True))
        # no commit: the unit of work rolls back, its queued writes discarded


def _attempt(engine: Engine, command: Command, ctx: Context, key: str | None,
             digest: str, payload: str, audited: str, rehearsed: bool = False) -> Result:
    with UnitOfWork(engine) as uow, clock.command_scope(uow.conn):
        if key is not None:
            previous = _stored(uow.conn, command.name, key, digest)
            if previous is not None:
                audit.append(uow, audit.entry(ctx, command.name, audited, "replayed", key))
                uow.commit()
                return previous
        outcome = "ok"
        scope.check(uow.conn, ctx.principal, command.subject())
        why = command.needs_checker(uow.conn) if ctx.principal is not None else None
        if why is not None and not rehearsed:
            raise _NeedsChecker
        if why is not None:
            result = pending.propose(uow, command, ctx, key, payload, why)
            outcome = f"proposed #{result['pending_id']}"
        else:
            result = command.present(command.run(uow, ctx))
        if key is not None:
            uow.batch.add(_STORE_KEY, {
                "key": key, "command": command.name, "request_hash": digest,
                "status_code": 200,
                "response_json": json.dumps(result, sort_keys=True, ensure_ascii=False)})
        audit.append(uow, audit.entry(ctx, command.name, audited, outcome, key))  # last write
        uow.commit()
        return result


def query(engine: Engine, fn: Any, *args: Any) -> Any:
    """A read: ``fn(conn, *args)`` in a read-only unit of work."""
    with UnitOfWork(engine, read_only=True) as uow:
        return fn(uow.conn, *args)


# --- four eyes: a checker approves or rejects a pending command (``pending``) -----------------
@dataclasses.dataclass(frozen=True, slots=True)
class ApprovePending(Command):
    """Run exactly the command a maker proposed, as the checker (another principal holding
    the command's ``<permission>:check``). If it fails now (the book moved on), nothing
    changes and it stays pending, to be approved later or rejected."""

    name: ClassVar[str] = "approve_pending"
    permission: ClassVar[str] = "pending.decide"

    pending_id: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        found = pending.claim(uow, self.pending_id, pending.APPROVED, ctx, self.reason)
        _may_check(ctx, found)
        cls = COMMANDS.get(found.command)
        if cls is None:
            raise Conflict(f"pending command #{found.id} names an unknown command "
                           f"{found.command!r}", field="pending_id", code="unknown_command")
        command = rebuild(cls, found.payload)
        if audit.canonical_payload(command.canonical()) != found.payload_json:
            raise Conflict(f"pending command #{found.id} does not rebuild to what was proposed",
                           field="pending_id", code="not_as_proposed")
        result = command.present(command.run(uow, ctx))
        pending.record_result(uow, found.id, result)
        kept = command.audited(command.canonical())
        audit.append(uow, audit.entry(ctx, command.name, audit.canonical_payload(kept),
                                      f"ok: approved #{found.id} proposed by {found.maker}",
                                      found.idempotency_key))
        return {"pending_id": found.id, "status": pending.APPROVED, "command": found.command,
                "maker": found.maker, "checker": ctx.actor, "result": result}


@dataclasses.dataclass(frozen=True, slots=True)
class RejectPending(Command):
    """Refuse a pending command with a reason; the maker may also withdraw their own."""

    name: ClassVar[str] = "reject_pending"
    permission: ClassVar[str] = "pending.decide"

    pending_id: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        found = pending.claim(uow, self.pending_id, pending.REJECTED, ctx, self.reason)
        if ctx.actor != found.maker:
            _may_check(ctx, found)
        return {"pending_id": found.id, "status": pending.REJECTED, "command": found.command,
                "maker": found.maker, "checker": ctx.actor, "reason": self.reason}


def _may_check(ctx: Context, found: pending.Pending) -> None:
    if ctx.actor == found.maker:
        raise Forbidden(f"{ctx.actor} proposed pending command #{found.id} and cannot check "
                        "it: four eyes need another person", field="pending_id",
                        code="own_command")
    needed = found.permission + ":check"
    if ctx.principal is not None and not ctx.principal.may(needed):
        raise Forbidden(f"{ctx.actor} may not check {found.command} (needs {needed!r})",
                        field="pending_id")


def rebuild(cls: type[Command], payload: dict[str, Any]) -> Command:
    """The command whose canonical form is ``payload`` (strictly: an unknown field is refused)."""
    from pydantic import TypeAdapter, ValidationError

    try:
        adapter: TypeAdapter[Any] = TypeAdapter(cls)
        command: Command = adapter.validate_python(payload)
    except ValidationError as exc:
        raise Conflict(f"a pending {cls.name} command does not rebuild: {exc.errors()[0]['msg']}",
                       field="pending_id", code="not_as_proposed") from None
    return command
