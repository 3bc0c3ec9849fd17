"""The commands on customers and credit lines, built the same way by the API and the CLI.

    execute(engine, SetLimit(line_id=3, limit_fen=5_000_000, reason="income verified",
                             review_id=12), ctx=Context(now, actor="li.wei"))

Amounts are integer fen; the actor and the business date come from the server (``ctx`` and
``clock``), never from the command. None of them moves money, so none needs an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore.customers import service, views
from lendcore.customers.model import Customer, LimitChanged, Line
from lendcore.runner import Command, Context, Result
from lendcore.scope import Subject
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreateCustomer(Command):
    name: ClassVar[str] = "create_customer"
    permission: ClassVar[str] = "customer.create"

    name_masked: str = ""
    timezone: str = "Asia/Shanghai"
    external_ref: str | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> Customer:
        return service.create_customer(uow, name_masked=self.name_masked,
                                       timezone=self.timezone, external_ref=self.external_ref)

    def present(self, value: Any) -> Result:
        return views.customer(value)


@dataclass(frozen=True, slots=True)
class OpenLine(Command):
    """Open a customer's line of a product; one that exists is a 409 ``line_exists``."""

    name: ClassVar[str] = "open_line"
    permission: ClassVar[str] = "line.open"

    customer_id: int
    product_code: str
    limit_fen: int

    def subject(self) -> Subject:
        return ("customer", self.customer_id)

    def needs_checker(self, conn: Connection) -> str | None:
        return "a line opened outside a decision (decisions open their own lines)"

    def run(self, uow: UnitOfWork, ctx: Context) -> Line:
        return service.open_line(uow, customer_id=self.customer_id,
                                 product_code=self.product_code, limit_fen=self.limit_fen,
                                 actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.line(value)


@dataclass(frozen=True, slots=True)
class SetLimit(Command):
    """A new limit with the reason and the decision or review it rests on (logged)."""

    name: ClassVar[str] = "set_limit"
    permission: ClassVar[str] = "line.set_limit"

    line_id: int
    limit_fen: int
    reason: str
    decision_id: int | None = None
    review_id: int | None = None

    def subject(self) -> Subject:
        return ("line", self.line_id)

    def needs_checker(self, conn: Connection) -> str | None:
        if self.decision_id is None and self.review_id is None:
            return "a manual limit (no decision or review behind it)"
        line = service.get_line(conn, self.line_id)
        if self.limit_fen > line.limit_fen:
            return f"a limit raise ({line.limit_fen} -> {self.limit_fen} fen)"
        return None

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.set_limit(uow, line_id=self.line_id, limit_fen=self.limit_fen,
                                 reason=self.reason, actor=ctx.actor,
                                 decision_id=self.decision_id, review_id=self.review_id)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class FreezeLine(Command):
    name: ClassVar[str] = "freeze_line"
    permission: ClassVar[str] = "line.freeze"

    line_id: int
    reason: str

    def subject(self) -> Subject:
        return ("line", self.line_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.freeze_line(uow, line_id=self.line_id, reason=self.reason,
                                   actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class UnfreezeLine(Command):
    name: ClassVar[str] = "unfreeze_line"
    permission: ClassVar[str] = "line.unfreeze"

    line_id: int
    reason: str

    def subject(self) -> Subject:
        return ("line", self.line_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.unfreeze_line(uow, line_id=self.line_id, reason=self.reason,
                                     actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class CloseLine(Command):
    name: ClassVar[str] = "close_line"
    permission: ClassVar[str] = "line.close"

    line_id: int
    reason: str

    def subject(self) -> Subject:
        return ("line", self.line_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.close_line(uow, line_id=self.line_id, reason=self.reason,
                                  actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class RecordConsent(Command):
    """A consent given (``granted``) or withdrawn for one purpose, under one version of its
    text, through one channel; recorded at the server's time by the caller (``ctx``)."""

    name: ClassVar[str] = "record_consent"
    permission: ClassVar[str] = "consent.record"

    customer_id: int
    purpose: str  # credit_query | bureau_reporting | personal_data | collection_sharing | marketing
    version: str  # the consent text's version, e.g. "2026-01"
    granted: bool
    channel: str  # app | web | phone | branch | paper

    def subject(self) -> Subject:
        return ("customer", self.customer_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> Any:
        from lendcore.customers import consents

        return consents.record(uow, self.customer_id, self.purpose, self.version, self.granted,
                               self.channel, actor=ctx.actor, at=ctx.now)

    def present(self, value: Any) -> Result:
        from lendcore.customers import consent_views

        return consent_views.consent(value)
