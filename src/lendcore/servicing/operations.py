"""Servicing's commands: new loans, repayments and refunds, as values.

The API routes, the CLI and the demo build the same object from the same inputs, so its
canonical form (``runner.Command.canonical``, the idempotency payload) is the same: a repayment
sent with ``Idempotency-Key: K`` and retried as ``lendcore repay --key K`` with the same loan
and amount is one command, applied once::

    execute(engine, Repay(loan_id=1000001, amount_fen=91799), ctx=ctx, key="K")

Every one moves money, so every one needs an idempotency key. Amounts are integer fen; the only
date is a repayment's value date (``effective_date``, back-dated at most to the loan's start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore.runner import Command, Context, Result
from lendcore.scope import Subject
from lendcore.servicing import lending, service, views
from lendcore.servicing.lending import Item
from lendcore.servicing.results import LoanChanged, OpenedLoan, Repaid
from lendcore.store.uow import UnitOfWork

# An overpayment refund above this (1,000 yuan) needs a second person (four eyes, *policy*).
FOUR_EYES_REFUND_ABOVE_FEN = 100_000

__all__ = ["Checkout", "Draw", "Item", "RefundGoods", "RefundOverpayment", "Repay"]


@dataclass(frozen=True, slots=True)
class Draw(Command):
    """Draw cash on a credit line, repaid in ``installments`` by ``method``: ``purpose`` is a
    consumption-purpose code (``travel``), ``payee`` a registered merchant's id paid on the
    borrower's behalf (``payee_kind`` merchant; own_account is refused until bank cards are
    bound)."""

    name: ClassVar[str] = "draw"
    permission: ClassVar[str] = "loan.draw"
    requires_key: ClassVar[bool] = True

    line_id: int
    amount_fen: int
    installments: int
    purpose: str
    payee: str
    method: str = "equal-installment"
    payee_kind: str = "merchant"
    prepayment_mode: str = "shorten"

    def subject(self) -> Subject:
        return ("line", self.line_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> OpenedLoan:
        return lending.draw(uow, lending.DrawRequest(
            self.line_id, self.amount_fen, self.installments, self.method, self.purpose,
            self.payee, self.payee_kind, self.prepayment_mode))

    def present(self, value: Any) -> Result:
        return views.opened(value)


@dataclass(frozen=True, slots=True)
class Checkout(Command):
    """An installment loan for a merchant order; the merchant (registered, active) is paid.
    The items (at least one) sum to ``amount_fen``; one loan per (merchant, order)."""

    name: ClassVar[str] = "checkout"
    permission: ClassVar[str] = "loan.checkout"
    requires_key: ClassVar[bool] = True

    customer_id: int
    order_id: str
    merchant_id: str
    amount_fen: int
    installments: int
    items: tuple[Item, ...] = ()
    method: str = "flat-fee"
    interest_free: bool = False

    def subject(self) -> Subject:
        return ("merchant", self.merchant_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> OpenedLoan:
        return lending.checkout(uow, lending.CheckoutRequest(
            self.customer_id, self.order_id, self.merchant_id, self.amount_fen,
            self.installments, self.items, self.method, self.interest_free))

    def present(self, value: Any) -> Result:
        return views.opened(value)


@dataclass(frozen=True, slots=True)
class Repay(Command):
    """A repayment, on the business date or back-dated to ``effective_date``."""

    name: ClassVar[str] = "repay"
    permission: ClassVar[str] = "loan.repay"
    requires_key: ClassVar[bool] = True

    loan_id: int
    amount_fen: int
    effective_date: date | None = None

    def subject(self) -> Subject:
        return ("loan", self.loan_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> Repaid:
        return service.repay(uow, self.loan_id, self.amount_fen, self.effective_date)

    def present(self, value: Any) -> Result:
        return views.repaid(value)


@dataclass(frozen=True, slots=True)
class RefundGoods(Command):
    """Returned goods on a checkout loan: the refunded part is as if never lent."""

    name: ClassVar[str] = "refund"
    permission: ClassVar[str] = "loan.refund"
    requires_key: ClassVar[bool] = True

    loan_id: int
    amount_fen: int

    def subject(self) -> Subject:
        return ("loan", self.loan_id)

    def run(self, uow: UnitOfWork, ctx: Context) -> LoanChanged:
        return service.refund_goods(uow, self.loan_id, self.amount_fen)

    def present(self, value: Any) -> Result:
        return views.loan_changed(value)


@dataclass(frozen=True, slots=True)
class RefundOverpayment(Command):
    """Pay back what a borrower paid beyond what was owed."""

    name: ClassVar[str] = "overpayment_refund"
    permission: ClassVar[str] = "loan.refund_overpayment"
    requires_key: ClassVar[bool] = True

    loan_id: int
    amount_fen: int

    def subject(self) -> Subject:
        return ("loan", self.loan_id)

    def needs_checker(self, conn: Connection) -> str | None:
        if self.amount_fen > FOUR_EYES_REFUND_ABOVE_FEN:
            return (f"an overpayment refund of {self.amount_fen} fen, above "
                    f"{FOUR_EYES_REFUND_ABOVE_FEN} fen")
        return None

    def run(self, uow: UnitOfWork, ctx: Context) -> LoanChanged:
        return service.refund_overpayment(uow, self.loan_id, self.amount_fen)

    def present(self, value: Any) -> Result:
        return views.loan_changed(value)
