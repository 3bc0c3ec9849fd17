"""Loading the catalogue: every ``data/*.toml`` except the caps table is one product.

Each file is read with ``tomllib`` into a frozen :class:`Product`; a bad field is an
``InvalidInput`` naming the file and the field, e.g.
``cash-line.toml: tiers[2].daily_rate: a rate must not be negative``. A product that could
exceed the all-in annual cost cap on any allowed installment count, at its highest rate plus
fees, is refused at load time, naming the product, the installment count and the rate::

    >>> sorted(load_catalogue())
    ['cash-line', 'checkout-installment']
    >>> get_product("cash-line").tier_for(5).rate.daily
    Decimal('0.0004')
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from lendcore.caps import CAPS_FILE, load_caps
from lendcore.errors import InvalidInput, NotFound
from lendcore.fields import Fields
from lendcore.money import Rounding
from lendcore.products.model import (
    DEFAULT_ALLOCATION,
    PURPOSES_BY_CODE,
    AllocationStep,
    Bucket,
    Classification,
    Component,
    Product,
    ProductKind,
    RateTier,
    RepaymentMethod,
)
from lendcore.products.pricing import check_product_against_cap
from lendcore.rates import AnnualRate, DayCount
from lendcore.schedules.model import MAX_INSTALLMENTS, InterestMode

_MAX_DPD = 3650


@cache
def load_catalogue() -> dict[str, Product]:
    """Every product shipped in ``lendcore/products/data``, by code (validated once)."""
    folder = resources.files("lendcore.products").joinpath("data")
    products: dict[str, Product] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml") or entry.name == CAPS_FILE:
            continue
        product = parse_product(entry.read_text("utf-8"), entry.name)
        if product.code in products:
            raise InvalidInput(f"product code {product.code!r} is used twice",
                               field=f"{entry.name}: code")
        products[product.code] = product
    return products


def get_product(code: str) -> Product:
    catalogue = load_catalogue()
    if code not in catalogue:
        raise NotFound(f"no product {code!r}; known: {', '.join(sorted(catalogue))}",
                       field="product")
    return catalogue[code]


def parse_product(text: str, source: str) -> Product:
    """One product file: parse, validate every field, then check it against the cap."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"not valid TOML: {exc}", field=source) from None
    fields = Fields(source, document)
    product = _read_product(fields)
    fields.finish()
    check_product_against_cap(product, load_caps().strictest_hard_cap)
    return product


def _read_product(f: Fields) -> Product:
    day_count = f.choice("day_count", DayCount)
    counts = _installment_counts(f)
    principal_min, principal_max = _principal_range(f)
    rate_min, rate_max = _rate_range(f, day_count)
    methods = _methods(f)
    return Product(
        code=f.text("code"),
        name=f.text("name"),
        kind=f.choice("kind", ProductKind),
        methods=methods,
        installment_counts=counts,
        principal_min_fen=principal_min,
        principal_max_fen=principal_max,
        min_draw_fen=_min_draw(f, principal_max),
        rate_min=rate_min,
        rate_max=rate_max,
        tiers=_tiers(f, day_count, counts, methods, (rate_min, rate_max)),
        day_count=day_count,
        interest_mode=f.choice("interest_mode", InterestMode),
        rounding=f.choice("rounding", Rounding),
        installment_multiple_fen=f.money_fen("installment_multiple"),
        penalty_multiplier=_penalty_multiplier(f),
        penalty_on_interest=f.boolean("penalty_on_interest", default=False),
        grace_days=f.integer("grace_days", 0, 30, default=3),
        allocation_order=_allocation(f),
        classification=f.choice("classification", Classification),
        charge_off_dpd=f.integer("charge_off_dpd", 1, _MAX_DPD, default=180),
        reminder_days_before_due=f.integers("reminder_days_before_due", 0, 30, [3, 1, 0]),
        purposes=_purposes(f),
        merchant_funded_interest_free=f.boolean("merchant_funded_interest_free", default=False),
        source=f.source,
    )


def _text(value: object) -> str:
    """A string field's value (the caller's Fields names the file and field on failure)."""
    if not isinstance(value, str):
        raise InvalidInput(f"must be a string, not {value!r}")
    return value


def _methods(f: Fields) -> tuple[RepaymentMethod, ...]:
    accepted = ", ".join(m.value for m in RepaymentMethod)
    names = f.strings("methods")
    methods: list[RepaymentMethod] = []
    for name in names:
        try:
            methods.append(RepaymentMethod(name))
        except ValueError:
            raise f.fail("methods", f"unknown method {name!r}; accepted: {accepted}") from None
    if not methods or len(set(methods)) != len(methods):
        raise f.fail("methods", "must list at least one method, each once")
    return tuple(methods)


def _installment_counts(f: Fields) -> tuple[int, ...]:
    counts = f.integers("installments", 1, MAX_INSTALLMENTS)
    if list(counts) != sorted(set(counts)):
        raise f.fail("installments", "must be increasing, each count once")
    return counts


def _principal_range(f: Fields) -> tuple[int, int]:
    low, high = f.money_fen("principal_min"), f.money_fen("principal_max")
    if low > high:
        raise f.fail("principal_max", "must not be below principal_min")
    return low, high


def _min_draw(f: Fields, principal_max: int) -> int:
    """The smallest loan (``min_draw``), its own setting: not the bottom of the limit range."""
    low = f.money_fen("min_draw")
    if not 0 < low <= principal_max:
        raise f.fail("min_draw", "must be above 0 and at most principal_max")
    return low


def _purposes(f: Fields) -> tuple[str, ...]:
    """The draw purposes a product takes: codes of the closed consumption list, each once."""
    codes = f.strings("purposes", [])
    unknown = [c for c in codes if c not in PURPOSES_BY_CODE]
    if unknown:
        raise f.fail("purposes", f"{unknown[0]!r} is not a consumption purpose; accepted: "
                                 f"{', '.join(PURPOSES_BY_CODE)}")
    if len(set(codes)) != len(codes):
        raise f.fail("purposes", "must list each purpose once")
    return codes


def _rate_field(f: Fields, stem: str, day_count: DayCount) -> AnnualRate | None:
    """``daily_<stem>`` or ``annual_<stem>`` (not both), held as an annual rate."""
    daily_key, annual_key = f"daily_{stem}", f"annual_{stem}"
    if f.has(daily_key) and f.has(annual_key):
        raise f.fail(daily_key, f"give either {daily_key} or {annual_key}, not both")
    if f.has(daily_key):
        return AnnualRate.from_daily(f.rate(daily_key), day_count)
    if f.has(annual_key):
        return AnnualRate(f.rate(annual_key), day_count)
    return None


def _rate_range(f: Fields, day_count: DayCount) -> tuple[AnnualRate | None, AnnualRate | None]:
    low = _rate_field(f, "rate_min", day_count)
    high = _rate_field(f, "rate_max", day_count)
    if (low is None) != (high is None):
        raise f.fail("daily_rate_max", "give both ends of the rate range or neither")
    if low is not None and high is not None and low.annual > high.annual:
        raise f.fail("daily_rate_max", "must not be below the minimum rate")
    return low, high


def _tiers(f: Fields, day_count: DayCount, counts: tuple[int, ...],
           methods: tuple[RepaymentMethod, ...],
           rate_range: tuple[AnnualRate | None, AnnualRate | None]) -> tuple[RateTier, ...]:
    tiers = tuple(_tier(t, day_count, methods) for t in f.tables("tiers"))
    low, high = rate_range
    for index, tier in enumerate(tiers, start=1):
        if low and high and tier.rate and not low.annual <= tier.rate.annual <= high.annual:
            raise f.fail(f"tiers[{index}]", "the tier's rate is outside the product's rate range")
    for count in counts:
        covering = [t for t in tiers if t.covers(count)]
        if len(covering) != 1:
            raise f.fail("tiers", f"{len(covering)} tiers cover {count} installments; "
                                  "each allowed installment count needs exactly one")
    return tiers


def _tier(t: Fields, day_count: DayCount, methods: tuple[RepaymentMethod, ...]) -> RateTier:
    low = t.integer("installments_min", 1, MAX_INSTALLMENTS)
    high = t.integer("installments_max", low, MAX_INSTALLMENTS)
    rate = _rate_field(t, "rate", day_count)
    fee = t.rate("fee_rate_per_installment") if t.has("fee_rate_per_installment") else None
    interest_methods = [m for m in methods if m is not RepaymentMethod.FLAT_FEE]
    if rate is None and interest_methods:
        raise t.fail("daily_rate", f"needed by {interest_methods[0].value}: give daily_rate "
                                   "or annual_rate")
    if fee is None and RepaymentMethod.FLAT_FEE in methods:
        raise t.fail("fee_rate_per_installment", "needed by flat-fee")
    t.finish()
    return RateTier(low, high, rate, fee if fee is not None else Decimal(0))


def _penalty_multiplier(f: Fields) -> Decimal:
    value = f.parsed("penalty_multiplier", lambda v: _decimal_text(v))
    if not 1 <= value <= 2:
        raise f.fail("penalty_multiplier", "must be from 1 to 2 (the default is \"1.5\")")
    return value


def _decimal_text(value: object) -> Decimal:
    try:
        number = Decimal(_text(value))
    except InvalidOperation:
        raise InvalidInput(f"{value!r} is not a decimal number such as \"1.5\"") from None
    if not number.is_finite():
        raise InvalidInput("must be a finite decimal number such as \"1.5\"")
    return number


def _allocation(f: Fields) -> tuple[AllocationStep, ...]:
    if not f.has("allocation_order"):
        f.raw("allocation_order", None)
        return DEFAULT_ALLOCATION
    steps: list[AllocationStep] = []
    for item in f.strings("allocation_order"):
        bucket, _, component = item.partition(".")
        try:
            steps.append((Bucket(bucket), Component(component)))
        except ValueError:
            raise f.fail("allocation_order", f"{item!r} is not <bucket>.<component>; buckets: "
                         "past_due, due, not_due; components: penalty, fee, interest, "
                         "principal") from None
    if sorted(steps, key=str) != sorted(DEFAULT_ALLOCATION, key=str):
        raise f.fail("allocation_order", "must list each of the 12 bucket.component pairs once")
    return tuple(steps)
