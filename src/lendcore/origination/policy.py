"""Origination policy settings: every number a credit decision uses, in one place.

*rule* = regulation (configuration may tighten, never loosen); *policy* = product setting.
A product's own numbers -- its amount (limit) range, installment counts, daily-rate range, term
tiers and day count -- are read from the product catalogue (``lendcore.products``,
:func:`product`), never copied here: the decision prices and limits a ``checkout-installment``
application by that product's file and a ``cash-line`` one by the cash line's. What stays here is
the lender's credit policy across products: eligibility, score cut-offs, score bands, the
new-customer cap, the limit step.

    >>> product("cash-line").installment_counts[-1], LIMIT_MIN_FEN, LIMIT_MAX_FEN
    (12, 50000, 5000000)
    >>> check_request(product("cash-line"), 5_000_00, 24)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lendcore.errors.InvalidInput: installments: cash-line offers 1, 2, ..., 12 installments, not 24
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from lendcore.errors import InvalidInput
from lendcore.money import format_yuan
from lendcore.products.catalogue import get_product
from lendcore.products.model import Product
from lendcore.products.pricing import check_installments

PRODUCT_CODE = "cash-line"  # the default: an application that names no product
CHECKOUT_PRODUCT_CODE = "checkout-installment"
PRODUCTS = (PRODUCT_CODE, CHECKOUT_PRODUCT_CODE)  # what a credit decision grants a line of


def product(code: str) -> Product:
    """The catalogue's product an application asks for (the one source of its numbers)."""
    if code not in PRODUCTS:
        raise InvalidInput(f"unknown product {code!r}; accepted: {list(PRODUCTS)}",
                           field="product")
    return get_product(code)


def check_request(offered: Product, amount_fen: int, installments: int) -> None:
    """Refuse a term or an amount the product does not offer (an input error, naming the
    field, not a credit decision)."""
    check_installments(offered, installments)
    low, high = offered.principal_min_fen, offered.principal_max_fen
    if not low <= amount_fen <= high:
        raise InvalidInput(f"{offered.code} lends {format_yuan(low)} to {format_yuan(high)} "
                           "yuan", field="amount")


# Eligibility.
AGE_MIN = 18  # rule: full civil capacity (Civil Code Art. 17)
AGE_MAX = 55  # policy
# policy (seed 001: 每半年只能申请一次): one application per product every 180 days, whatever its
# outcome; the next is allowed from the decision date + 180 days (applied 2025-01-01: refused on
# 2025-06-29, day 179; allowed from 2025-06-30, day 180).
REAPPLY_WAIT = timedelta(days=180)
CONSUMPTION_MONTHS_MIN = 6  # policy: a consumption record in the ecosystem
DTI_CEILING = Decimal("0.50")  # policy: declared monthly debt / monthly income
OCCUPATIONS = ("employed", "self-employed", "freelance", "retired", "unemployed", "student")
STUDENT = "student"  # rule (CBIRC 2021 campus-lending notice): no credit to students

# Amounts (fen). The cash line's limit range is its catalogue amount range (the nightly limit
# review keeps cash lines inside it); a decision uses the range of the product applied for.
LIMIT_MIN_FEN = get_product(PRODUCT_CODE).principal_min_fen
LIMIT_MAX_FEN = get_product(PRODUCT_CODE).principal_max_fen
NEW_CUSTOMER_LIMIT_MAX_FEN = 20_000_00  # policy: new customers start low
LIMIT_STEP_FEN = 100_00  # limits are whole hundreds of yuan, rounded down
INSTALLMENTS_DEFAULT = 12  # offered by both products

# Score cut-off (points; see scorecard.py for the scale). Holdout bad rates: >= 480 about 10%,
# 460-479 about 20%, < 460 over 30%.
SCORE_APPROVE_MIN = 480
SCORE_REFER_MIN = 460  # 460..479 -> refer to a human

# Price of a product priced by score (the cash line): daily rate by score band (lowest score of
# the band, daily rate), best band first, kept inside the product's rate range and under its term
# tier (both from the catalogue). A product without a rate range (checkout installments) is
# priced by its tiers alone.
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

