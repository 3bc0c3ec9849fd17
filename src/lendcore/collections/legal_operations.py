"""Legal steps' command: record one taken on a case, four eyes (``legal_service``, ``legal``).

Built alike by the API (``POST /collections/cases/{id}/legal-steps``) and the CLI
(``lendcore collections legal-step``), run by ``runner.execute``::

    execute(engine, RecordLegalStep(7, LegalStep.SUIT_FILED, "(2026)京0105民初1234号"),
            ctx=Context(now=clock.now(), actor="sup.one", principal=...))   # 202: pending

The maker and the checker are the signed-in principals (never a name in the command).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Connection, select

from lendcore import audit, scope
from lendcore.collections import legal_service, views
from lendcore.collections.legal import LegalStep
from lendcore.collections.operations import CASE
from lendcore.errors import Forbidden
from lendcore.runner import Command, Context
from lendcore.store.access_tables import pending_commands
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordLegalStep(Command):
    """Record a legal step the lender has taken on the case (a lawyer's letter sent, a suit
    filed, enforcement applied for) with its reference; ``taken_on``: a back-dated fact, on or
    before the business date (None: today).

    Four eyes, always: once recorded, collectors may tell the borrower about the step, so a
    false record would turn a threat of a step not taken (forbidden) into an allowed message.
    Run by a principal it is stored for a checker (``legal.record:check``); the maker is
    recorded as ``recorded_by``, the checker as ``approved_by``."""

    name: ClassVar[str] = "collections.record_legal_step"
    permission: ClassVar[str] = "legal.record"
    case_id: int
    step: LegalStep
    reference: str
    taken_on: date | None = None

    def subject(self) -> scope.Subject:
        return (CASE, self.case_id)

    def needs_checker(self, conn: Connection) -> str | None:
        return (f"the {self.step.label} recorded on case {self.case_id} lets collectors tell "
                "the borrower about it: a second person confirms it was taken")

    def run(self, uow: UnitOfWork, ctx: Context) -> legal_service.LegalStepRecord:
        maker, checker = ctx.actor, None
        if ctx.principal is not None and not ctx.rehearsal:
            maker, checker = _maker_of(uow.conn, self, ctx), ctx.actor
        return legal_service.record_legal_step(
            uow, self.case_id, self.step, self.reference, taken_on=self.taken_on,
            recorded_by=maker, approved_by=checker)

    def present(self, value: legal_service.LegalStepRecord) -> dict[str, Any]:
        return views.legal_step(value)


def _maker_of(conn: Connection, command: Command, ctx: Context) -> str:
    """Who proposed ``command``, which ``ctx.actor`` is approving now (``runner.ApprovePending``
    claimed its pending copy in this transaction and records the result after the run)."""
    payload = audit.canonical_payload(command.canonical())
    p = pending_commands.c
    maker = conn.execute(select(p.maker).where(
        p.command == command.name, p.payload_hash == hashlib.sha256(payload.encode()).hexdigest(),
        p.status == "approved", p.checker == ctx.actor, p.result_json.is_(None))
        .order_by(p.id.desc()).limit(1)).scalar_one_or_none()
    if maker is None:
        raise Forbidden(f"{command.name} needs a second person: propose it, another approves it",
                        code="four_eyes_required")
    return str(maker)
