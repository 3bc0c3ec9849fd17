"""Origination value types: an application, a reason, a decision (plain frozen dataclasses).

Money is integer fen, rates exact ``Decimal`` fractions (0.0003 = 0.03%/day), dates ``date``.
Pydantic models live only at the edge (``schemas.py``) and build these; presenters (yuan
strings, rate texts) are in ``views.py``.

An :class:`Application` carries no date: it is decided on the server's business date
(``clock.business_date``), read inside the unit of work, never a date the applicant chose.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lendcore.rates import AnnualRate, DayCount
from lendcore.reasons import Reason


class Outcome(enum.Enum):
    APPROVE = "approve"
    DECLINE = "decline"
    REFER = "refer"


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    id_number: str
    mobile: str
    id_expiry: date | None  # None = long-term (长期) ID card


@dataclass(frozen=True, slots=True)
class Ecosystem:
    device_user: bool
    consumption_months: int
    spend_12m_fen: int


@dataclass(frozen=True, slots=True)
class Consents:
    credit_query: bool  # credit-bureau query authorisation (征信查询授权)
    sensitive_data: bool  # separate consent to process sensitive personal data (PIPL Art. 29)


@dataclass(frozen=True, slots=True)
class Application:
    identity: Identity
    product: str
    amount_fen: int
    installments: int
    monthly_income_fen: int
    monthly_debt_payments_fen: int
    occupation: str
    ecosystem: Ecosystem
    consents: Consents
    profile: Mapping[str, str | int | Decimal]
    timezone: str = "Asia/Shanghai"  # borrower-local time for collections' quiet hours


@dataclass(frozen=True, slots=True)
class Kyc:
    """What KYC established. ``valid`` is False when the ID number itself is unusable."""

    valid: bool
    birth_date: date | None = None
    age: int | None = None
    gender: str | None = None  # "M" | "F"
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True, slots=True)
class Prior:
    """What the store knows about this person before the decision (by ID-number hash)."""

    reapply_after: date | None = None  # end of a running 180-day wait for the product, if any
    existing_customer: bool = False
    current_limit_fen: int | None = None  # the limit of the customer's line of the product
    line_frozen: bool = False  # any of the customer's lines is frozen


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome with its reasons and, when it proposes terms, the limit and the daily rate
    (a product priced by score: the cash line; a product priced by its term tiers, checkout
    installments, has no single rate: its price reason names the tier). ``reapply_after`` is
    the first date a new application for the product is allowed (every assessed decision)."""

    outcome: Outcome
    reasons: tuple[Reason, ...]
    score: int | None = None
    limit_fen: int | None = None
    daily_rate: Decimal | None = None
    reapply_after: date | None = None
    kyc: Kyc = field(default_factory=lambda: Kyc(False))
    consented: bool = True
    day_count: DayCount = DayCount.ACT_365  # the product's: annual = daily x its basis days

    @property
    def annual_rate(self) -> Decimal | None:
        if self.daily_rate is None:
            return None
        return AnnualRate.from_daily(self.daily_rate, self.day_count).annual
