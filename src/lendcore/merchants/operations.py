"""The commands on the merchant registry, built the same way by the API, the CLI and the demo.

    execute(engine, AddMerchant("mi-mall", "小米商城", "electronics"), ctx=ctx)
    execute(engine, SetMerchantStatus("mi-mall", "suspended"), ctx=ctx)

Neither moves money, so neither needs an idempotency key; both need ``merchant.manage``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lendcore.merchants import service, views
from lendcore.merchants.model import Merchant
from lendcore.runner import Command, Context, Result
from lendcore.store.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class AddMerchant(Command):
    """Register a merchant (active unless told otherwise); a known id is a 409."""

    name: ClassVar[str] = "add_merchant"
    permission: ClassVar[str] = "merchant.manage"

    merchant_id: str
    merchant_name: str
    category: str
    status: str = "active"

    def run(self, uow: UnitOfWork, ctx: Context) -> Merchant:
        return service.add_merchant(uow, self.merchant_id, self.merchant_name, self.category,
                                    self.status)

    def present(self, value: Any) -> Result:
        return views.merchant(value)


@dataclass(frozen=True, slots=True)
class SetMerchantStatus(Command):
    """Suspend a merchant (no new loan pays it) or make it active again."""

    name: ClassVar[str] = "set_merchant_status"
    permission: ClassVar[str] = "merchant.manage"

    merchant_id: str
    status: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Merchant:
        return service.set_status(uow, self.merchant_id, self.status)

    def present(self, value: Any) -> Result:
        return views.merchant(value)
