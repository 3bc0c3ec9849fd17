"""Origination policy settings: every number a credit decision uses, in one place.

*rule* = regulation (configuration may tighten, never loosen); *policy* = product setting.
The cash-line figures (amount range, daily-rate range, term tiers) duplicate the product
catalogue's reference cash line (``products/``), which was being written at the same time; once
``lendcore.products.get_product("cash-line")`` is stable, :func:`term_tier_ceiling` and the
ranges below should read it instead.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

PRODUCT_CODE = "cash-line"
PRODUCTS = (PRODUCT_CODE,)

# Eligibility.
AGE_MIN = 18  # rule: full civil capacity (Civil Code Art. 17)
AGE_MAX = 55  # policy
REAPPLY_WAIT = timedelta(days=180)  # policy (seeds): once per 180 days after a decline
CONSUMPTION_MONTHS_MIN = 6  # policy: a consumption record in the ecosystem
DTI_CEILING = Decimal("0.50")  # policy: declared monthly debt / monthly income
OCCUPATIONS = ("employed", "self-employed", "freelance", "retired", "unemployed", "student")
STUDENT = "student"  # rule (CBIRC 2021 campus-lending notice): no credit to students

# Amounts (fen).
LIMIT_MIN_FEN = 500_00  # policy
LIMIT_MAX_FEN = 50_000_00  # policy
NEW_CUSTOMER_LIMIT_MAX_FEN = 20_000_00  # policy: new customers start low
LIMIT_STEP_FEN = 100_00  # limits are whole hundreds of yuan, rounded down
INSTALLMENTS_DEFAULT = 12
INSTALLMENTS_MAX = 24

# Score cut-off (points; see scorecard.py for the scale). Holdout bad rates: >= 480 about 10%,
# 460-479 about 20%, < 460 over 30%.
SCORE_APPROVE_MIN = 480
SCORE_REFER_MIN = 460  # 460..479 -> refer to a human

# Price: daily rate by score band (lowest score of the band, daily rate), best band first.
DAILY_RATE_MIN = Decimal("0.0002")  # 0.02%/day, policy
DAILY_RATE_MAX = Decimal("0.0005")  # 0.05%/day, policy
SCORE_BANDS: tuple[tuple[str, int, Decimal, Decimal], ...] = (
    # band, min score, daily rate, limit as a multiple of monthly income
    ("A", 600, Decimal("0.0002"), Decimal(4)),
    ("B", 550, Decimal("0.00025"), Decimal(3)),
    ("C", 520, Decimal("0.0003"), Decimal(2)),
    ("D", 500, Decimal("0.0004"), Decimal("1.5")),
    ("E", 0, Decimal("0.0005"), Decimal(1)),
)
LARGE_AMOUNT_FEN = 20_000_00  # policy: a request of 20,000 CNY or more ...
LARGE_AMOUNT_DISCOUNT = Decimal("0.00005")  # ... is priced 0.005%/day lower (never below min)

# Term tiers of the reference cash line: (max installments, daily-rate ceiling).
TERM_TIERS: tuple[tuple[int, Decimal], ...] = (
    (3, Decimal("0.0003")),
    (6, Decimal("0.0004")),
    (10**6, Decimal("0.0005")),
)
ALL_IN_CAP_ANNUAL = Decimal("0.24")  # rule: all-in annual cost <= 24%
DAYS_PER_YEAR = 365  # ACT/365: annual = daily x 365

# Ecosystem uplift on the limit (policy): (min consumption months, min 12-month spend fen, factor)
ECOSYSTEM_UPLIFT: tuple[tuple[int, int, Decimal], ...] = (
    (24, 12_000_00, Decimal("1.2")),
    (12, 0, Decimal("1.1")),
)
# Affordability: a full draw repaid in 12 equal principal parts plus a 30-day month of interest on
# the whole balance must fit in the DTI headroom.
AFFORDABILITY_MONTHS = 12
AFFORDABILITY_DAYS = 30

ADVERSE_REASONS = 3  # top adverse scorecard attributes on every decision


def term_tier_ceiling(installments: int) -> Decimal:
    """The product's daily rate for this many monthly installments: the band's ceiling."""
    for max_count, daily in TERM_TIERS:
        if installments <= max_count:
            return daily
    raise ValueError(f"no tier for {installments} installments")
