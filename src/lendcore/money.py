"""Exact money: integer fen in state and storage, ``Decimal`` between roundings.

1 CNY = 100 fen. Amounts enter through :func:`parse_yuan`, which refuses floats (``0.1 + 0.2`` is
not money), and leave through :func:`format_yuan`. Every rounding to fen names its mode::

    >>> to_fen(Decimal("917.985") * 100, Rounding.HALF_UP)
    91799
    >>> to_fen(Decimal("31250") / 100 * 100, Rounding.HALF_EVEN)
    31250

Splits use the largest-remainder method and always sum exactly (:func:`split_fen`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from lendcore.errors import InvalidInput

FEN_PER_YUAN = 100
_FEN_QUANTUM = Decimal(1)
# The largest amount MONEY_PATTERN admits (999999999999999.99 yuan); BIGINT holds it.
_MAX_FEN = 10**17 - 1


class Rounding(enum.Enum):
    """A rounding mode, named where it is used. Half-up is the default across lendcore."""

    HALF_UP = "half-up"
    HALF_EVEN = "half-even"

    @property
    def decimal_mode(self) -> str:
        return ROUND_HALF_UP if self is Rounding.HALF_UP else ROUND_HALF_EVEN

    @classmethod
    def parse(cls, text: str, field: str = "rounding") -> Rounding:
        for mode in cls:
            if mode.value == text.strip().lower():
                return mode
        raise InvalidInput(f"unknown rounding {text!r}; accepted: half-up, half-even", field=field)


def to_fen(amount_fen: Decimal, rounding: Rounding) -> int:
    """Round an exact amount already expressed in fen to a whole fen with the named mode."""
    return int(amount_fen.quantize(_FEN_QUANTUM, rounding=rounding.decimal_mode))


def round_to_multiple(amount_fen: Decimal, multiple_fen: int, rounding: Rounding) -> int:
    """Round an exact fen amount to a multiple of ``multiple_fen`` (e.g. 100 = whole yuan)."""
    if multiple_fen <= 0:
        raise InvalidInput("must be a positive amount", field="installment_multiple")
    units = (amount_fen / multiple_fen).quantize(_FEN_QUANTUM, rounding=rounding.decimal_mode)
    return int(units) * multiple_fen


def floor_fen(amount_fen: Decimal) -> int:
    return int(amount_fen.quantize(_FEN_QUANTUM, rounding=ROUND_FLOOR))


MONEY_PATTERN = r"^[0-9]{1,15}(\.[0-9]{1,2})?$"
MONEY_RULE = 'money is yuan in ASCII digits with at most 2 decimals, e.g. "5000" or "917.99"'
_MONEY = re.compile(MONEY_PATTERN, re.ASCII)


def parse_yuan(value: object, field: str = "amount", *, allow_zero: bool = False) -> int:
    """Parse an amount in yuan ("917.99", 5000, Decimal) into fen; floats are refused.

    A string must match ``MONEY_PATTERN`` exactly: ASCII digits, at most two decimals, nothing
    else (no sign, separators, exponent, spaces, or other scripts' digits)::

        >>> parse_yuan("917.99")
        91799
        >>> parse_yuan("1,5")
        Traceback (most recent call last):
        ...
        lendcore.errors.InvalidInput: amount: money is yuan in ASCII digits with at most 2 \
decimals, e.g. "5000" or "917.99" (got '1,5')

    Negative amounts are refused; zero only when allowed.
    """
    if isinstance(value, (bool, float)):
        raise InvalidInput(
            "money must be a decimal string in yuan such as \"917.99\", not a float", field=field
        )
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        if not _MONEY.fullmatch(value):
            raise InvalidInput(f"{MONEY_RULE} (got {value[:40]!r})", field=field)
        amount = Decimal(value)
    else:
        raise InvalidInput("money must be a decimal string in yuan such as \"917.99\"", field=field)
    if not amount.is_finite():
        raise InvalidInput("amount must be a finite number of yuan", field=field)
    if amount.adjusted() > 15:  # checked before scaling: "1e999999" must not overflow
        raise InvalidInput("amount is too large", field=field)
    fen = amount * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise InvalidInput("amount has more than 2 decimals (a fen is 0.01)", field=field)
    fen_int = int(fen)
    if fen_int < 0 or (fen_int == 0 and not allow_zero):
        raise InvalidInput("must be greater than 0" if not allow_zero else "must not be negative",
                           field=field)
    if fen_int > _MAX_FEN:
        raise InvalidInput("amount is too large", field=field)
    return fen_int


def format_yuan(fen: int) -> str:
    """Fen to a yuan decimal string with exactly two decimals: 91799 -> "917.99"."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole}.{part:02d}"


def split_fen(total_fen: int, weights: Sequence[int | Decimal]) -> list[int]:
    """Split ``total_fen`` in proportion to ``weights`` by largest remainder; sums exactly.

    Ties on the remainder go to the earlier share, so the result is deterministic.
    """
    if not weights:
        raise ValueError("split_fen needs at least one weight")
    weight_sum = sum((Decimal(w) for w in weights), Decimal(0))
    if weight_sum <= 0:
        raise ValueError("split_fen needs a positive total weight")
    exact = [Decimal(total_fen) * Decimal(w) / weight_sum for w in weights]
    shares = [floor_fen(x) for x in exact]
    leftover = total_fen - sum(shares)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[:leftover]:
        shares[i] += 1
    assert sum(shares) == total_fen, "split must sum exactly"
    return shares


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of one currency in its smallest unit (fen for CNY). Immutable."""

    fen: int
    currency: str = "CNY"

    @classmethod
    def parse(cls, value: object, field: str = "amount", *, allow_zero: bool = False) -> Money:
        return cls(parse_yuan(value, field, allow_zero=allow_zero))

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.fen + other.fen, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.fen - other.fen, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch {self.currency} vs {other.currency}")

    def __str__(self) -> str:
        return format_yuan(self.fen)


ZERO = Money(0)
