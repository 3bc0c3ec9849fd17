"""The catalogue's value types: a product is frozen, validated configuration.

A product names how credit is priced and serviced: its kind (cash line or checkout
installments), repayment methods, installment counts, rate range and term tiers, day count,
interest mode, rounding, penalty and grace policy, repayment allocation order, classification
ladder, charge-off and reminder days. Example, the reference cash line's tiers::

    1-3 installments  0.03%/day  (10.95% a year on ACT/365)
    4-6 installments  0.04%/day  (14.6%)
    7-12 installments 0.05%/day  (18.25%)

Rates are held as :class:`AnnualRate` (annual plus basis); a daily figure is always derived.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from lendcore.money import Rounding
from lendcore.rates import AnnualRate, DayCount
from lendcore.schedules.model import InterestMode, Method


class ProductKind(enum.Enum):
    CASH_LINE = "cash_line"  # 随借随还 revolving line
    CHECKOUT = "checkout"  # 分期 bound to a merchant order


class RepaymentMethod(enum.Enum):
    """What a product offers: the five schedule methods plus pay-any-time (no schedule)."""

    EQUAL_INSTALLMENT = "equal-installment"
    EQUAL_PRINCIPAL = "equal-principal"
    INTEREST_FIRST = "interest-first"
    BULLET = "bullet"
    FLAT_FEE = "flat-fee"
    PAY_ANY_TIME = "pay-any-time"  # 随借随还: balance x daily rate x actual days

    @property
    def schedule_method(self) -> Method | None:
        """The schedule method, or None for pay-any-time (repaid any amount, any day)."""
        if self is RepaymentMethod.PAY_ANY_TIME:
            return None
        return Method(self.value)


class Bucket(enum.Enum):
    PAST_DUE = "past_due"
    DUE = "due"
    NOT_DUE = "not_due"


class Component(enum.Enum):
    PENALTY = "penalty"
    FEE = "fee"
    INTEREST = "interest"
    PRINCIPAL = "principal"


AllocationStep = tuple[Bucket, Component]

# 先罚息、后利息、后本金, oldest installment first, past due before due before not yet due. The
# domain does not place the fee; it goes after the penalty, before interest.
DEFAULT_ALLOCATION: tuple[AllocationStep, ...] = tuple(
    (bucket, component) for bucket in Bucket for component in Component
)


class Classification(enum.Enum):
    FIVE_CATEGORY_2023 = "five-category-2023"  # 五级分类, 2023 rule for banks
    CARD_STYLE = "card-style"  # 1-90 / 91-120 / 121-180 / over 180


@dataclass(frozen=True, slots=True)
class Purpose:
    """A consumption purpose a draw may name: a code with its Chinese and English labels."""

    code: str
    label_zh: str
    label_en: str


# The closed list of consumption purposes (domain.md s1): a draw names one of these codes and
# nothing else. Investment, securities, futures, wealth management, property (a home or its down
# payment), repaying other loans, on-lending, gambling and any other prohibited use are not on
# it, so they cannot be named in any language; a product takes a subset (its ``purposes``).
CONSUMPTION_PURPOSES: tuple[Purpose, ...] = (
    Purpose("daily_consumption", "日常消费", "daily consumption"),
    Purpose("appliances", "家电", "home appliances"),
    Purpose("electronics", "数码", "electronics"),
    Purpose("furniture", "家居", "furniture and furnishings"),
    Purpose("home_renovation", "装修", "home renovation"),
    Purpose("education", "教育", "education"),
    Purpose("travel", "旅游", "travel"),
    Purpose("medical", "医疗", "medical care"),
    Purpose("wedding", "婚庆", "wedding"),
)
PURPOSES_BY_CODE: dict[str, Purpose] = {p.code: p for p in CONSUMPTION_PURPOSES}


@dataclass(frozen=True, slots=True)
class RateTier:
    """The price of a band of installment counts (inclusive)."""

    installments_min: int
    installments_max: int
    rate: AnnualRate | None  # contract interest rate for interest methods
    fee_rate_per_installment: Decimal  # on the original principal, for flat-fee

    def covers(self, installments: int) -> bool:
        return self.installments_min <= installments <= self.installments_max


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    kind: ProductKind
    methods: tuple[RepaymentMethod, ...]
    installment_counts: tuple[int, ...]
    principal_min_fen: int  # the limit range (500-50,000 for the cash line), not a loan's floor
    principal_max_fen: int
    min_draw_fen: int  # the smallest loan: a draw, or a checkout order (*policy*)
    rate_min: AnnualRate | None  # the score-based range, if the product prices by score
    rate_max: AnnualRate | None
    tiers: tuple[RateTier, ...]
    day_count: DayCount
    interest_mode: InterestMode
    rounding: Rounding
    installment_multiple_fen: int
    penalty_multiplier: Decimal
    penalty_on_interest: bool
    grace_days: int
    allocation_order: tuple[AllocationStep, ...]
    classification: Classification
    charge_off_dpd: int
    reminder_days_before_due: tuple[int, ...]
    purposes: tuple[str, ...]  # the draw purposes it takes: codes of CONSUMPTION_PURPOSES
    merchant_funded_interest_free: bool  # 贴息 promotions allowed
    source: str  # the file it came from, for messages

    def tier_for(self, installments: int) -> RateTier:
        """The tier pricing ``installments``; the catalogue guarantees exactly one exists."""
        return next(tier for tier in self.tiers if tier.covers(installments))

    def accepts_purpose(self, code: str) -> bool:
        """Whether a draw may name ``code`` (exactly: a code, not a free-text label)."""
        return code in self.purposes
