"""Four eyes: commands waiting for a second person (the one writer of ``pending_commands``).

When a command that moves risk is run by a principal and its ``needs_checker`` gives a reason
(a limit raise, a line opened outside a decision, a referral approved, a plan signed with a
waiver, a large overpayment refund, a role change), the runner does not run it: it stores the
command's canonical form here as *pending* and answers 202 with the pending id. A checker (a
different principal holding the command's ``<permission>:check``) approves it, and the runner
rebuilds exactly the stored command and runs it as the checker (``runner.ApprovePending``), or
rejects it with a reason. A second pending copy of the same command (same name, same canonical
payload) is refused with 409 ``already_pending``, by a partial unique index as well as by the
check here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from lendcore.audit import Who
from lendcore.errors import Conflict, NotFound
from lendcore.store.access_tables import pending_commands as pc
from lendcore.store.uow import UnitOfWork

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"


class _Proposal(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def permission(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Pending:
    id: int
    command: str
    payload: dict[str, Any]
    payload_json: str
    idempotency_key: str | None
    permission: str
    why: str
    maker: str
    maker_role: str | None
    proposed_at: datetime
    status: str
    checker: str | None
    checked_at: datetime | None
    reason: str | None
    result: dict[str, Any] | None


def propose(uow: UnitOfWork, command: _Proposal, who: Who, key: str | None, payload: str,
            why: str) -> dict[str, Any]:
    """Store ``command`` (its canonical JSON ``payload``) as pending; the 202 answer."""
    digest = hashlib.sha256(payload.encode()).hexdigest()
    taken = uow.conn.execute(select(pc.c.id).where(
        pc.c.command == command.name, pc.c.payload_hash == digest,
        pc.c.status == PENDING)).scalar_one_or_none()
    if taken is not None:
        raise _already(command.name, int(taken))
    try:
        with uow.conn.begin_nested():
            new_id = uow.conn.execute(pc.insert().values(
                command=command.name, payload_json=payload, payload_hash=digest,
                idempotency_key=key, permission=command.permission, why=why,
                maker=who.actor, maker_role=who.role, proposed_at=who.now,
                status=PENDING)).inserted_primary_key
    except IntegrityError:  # a concurrent proposal of the same command won the index
        raise _already(command.name, None) from None
    assert new_id is not None
    return {"status": "pending_approval", "pending_id": int(new_id[0]), "command": command.name,
            "why": why, "maker": who.actor,
            "checker_needs": f"{command.permission}:check, and not {who.actor}"}


def _already(name: str, pending_id: int | None) -> Conflict:
    which = f" (#{pending_id})" if pending_id is not None else ""
    return Conflict(f"the same {name} command is already waiting for a checker{which}",
                    code="already_pending")


def claim(uow: UnitOfWork, pending_id: int, status: str, who: Who, reason: str) -> Pending:
    """Move a pending command to ``status`` (approved or rejected) for ``who``; a command
    already decided (or decided by a concurrent checker) is a 409."""
    found = get(uow.conn, pending_id)
    if found.status != PENDING:
        raise Conflict(f"pending command #{pending_id} is already {found.status}",
                       field="pending_id", code="already_decided")
    done = uow.conn.execute(pc.update().where(pc.c.id == pending_id, pc.c.status == PENDING)
                            .values(status=status, checker=who.actor, checked_at=who.now,
                                    reason=reason))
    if done.rowcount != 1:
        raise Conflict(f"pending command #{pending_id} was decided meanwhile",
                       field="pending_id", code="already_decided")
    return found


def record_result(uow: UnitOfWork, pending_id: int, result: dict[str, Any]) -> None:
    uow.conn.execute(pc.update().where(pc.c.id == pending_id).values(
        result_json=json.dumps(result, sort_keys=True, ensure_ascii=False)))


def get(conn: Connection, pending_id: int) -> Pending:
    row = conn.execute(select(pc).where(pc.c.id == pending_id)).first()
    if row is None:
        raise NotFound(f"no pending command #{pending_id}", field="pending_id")
    return _pending(row)


def listing(conn: Connection, status: str | None = PENDING, limit: int = 100) -> list[Pending]:
    query = select(pc).order_by(pc.c.id).limit(limit)
    if status is not None:
        query = query.where(pc.c.status == status)
    return [_pending(r) for r in conn.execute(query)]


def _pending(row: Any) -> Pending:
    return Pending(
        id=int(row.id), command=row.command, payload=json.loads(row.payload_json),
        payload_json=row.payload_json, idempotency_key=row.idempotency_key,
        permission=row.permission, why=row.why, maker=row.maker, maker_role=row.maker_role,
        proposed_at=row.proposed_at, status=row.status, checker=row.checker,
        checked_at=row.checked_at, reason=row.reason,
        result=None if row.result_json is None else json.loads(row.result_json))


def view(p: Pending) -> dict[str, Any]:
    return {"pending_id": p.id, "command": p.command, "payload": p.payload, "why": p.why,
            "permission": p.permission, "maker": p.maker, "maker_role": p.maker_role,
            "proposed_at": p.proposed_at.isoformat(), "status": p.status,
            "checker": p.checker,
            "checked_at": None if p.checked_at is None else p.checked_at.isoformat(),
            "reason": p.reason, "result": p.result}
