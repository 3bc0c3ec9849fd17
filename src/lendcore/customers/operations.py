"""The commands on customers and credit lines, built the same way by the API and the CLI.

    execute(engine, SetLimit(line_id=3, limit_fen=5_000_000, reason="income verified",
                             review_id=12), ctx=Context(now, actor="li.wei"))

Amounts are integer fen; the actor and the business date come from the server (``ctx`` and
``clock``), never from the command. None of them moves money, so none needs an idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lendcore.customers import service, views
from lendcore.customers.model import Customer, LimitChanged, Line
from lendcore.runner import Command, Context, Result
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreateCustomer(Command):
    name: ClassVar[str] = "create_customer"

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

    customer_id: int
    product_code: str
    limit_fen: int

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

    line_id: int
    limit_fen: int
    reason: str
    decision_id: int | None = None
    review_id: int | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.set_limit(uow, line_id=self.line_id, limit_fen=self.limit_fen,
                                 reason=self.reason, actor=ctx.actor,
                                 decision_id=self.decision_id, review_id=self.review_id)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class FreezeLine(Command):
    name: ClassVar[str] = "freeze_line"

    line_id: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.freeze_line(uow, line_id=self.line_id, reason=self.reason,
                                   actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class UnfreezeLine(Command):
    name: ClassVar[str] = "unfreeze_line"

    line_id: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.unfreeze_line(uow, line_id=self.line_id, reason=self.reason,
                                     actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)


@dataclass(frozen=True, slots=True)
class CloseLine(Command):
    name: ClassVar[str] = "close_line"

    line_id: int
    reason: str

    def run(self, uow: UnitOfWork, ctx: Context) -> LimitChanged:
        return service.close_line(uow, line_id=self.line_id, reason=self.reason,
                                  actor=ctx.actor)

    def present(self, value: Any) -> Result:
        return views.limit_changed(value)
