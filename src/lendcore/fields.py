"""Typed reading of one TOML table, every mistake an ``InvalidInput`` naming file and field.

Configuration is input like any other: a bad value says which file, which field, what was wrong
and what is accepted, and nothing is loaded. Numbers that are money or rates must be *strings*
(``"0.05%"``, ``"500"``): TOML floats are refused, as everywhere near money::

    >>> Fields("cash-line.toml", {"daily_rate": 0.0005}).rate("daily_rate")
    Traceback (most recent call last):
    lendcore.errors.InvalidInput: cash-line.toml: daily_rate: a rate must be a string such as ...

Unknown keys are refused too (:meth:`Fields.finish`), so a typo never silently falls back to a
default.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import TypeVar

from lendcore.calendar import parse_date
from lendcore.errors import InvalidInput, LendcoreError
from lendcore.money import parse_yuan
from lendcore.rates import parse_rate

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)
_MISSING = object()


class Fields:
    """One table of a configuration file, read key by key."""

    def __init__(self, source: str, table: object, path: str = "") -> None:
        if not isinstance(table, Mapping):
            raise InvalidInput("must be a table", field=f"{source}: {path.rstrip('.') or '/'}")
        self.source = source
        self.path = path
        self._table: Mapping[str, object] = table
        self._used: set[str] = set()

    def name(self, key: str) -> str:
        return f"{self.source}: {self.path}{key}"

    def fail(self, key: str, detail: str) -> InvalidInput:
        return InvalidInput(detail, field=self.name(key))

    def has(self, key: str) -> bool:
        return key in self._table

    def raw(self, key: str, default: object = _MISSING) -> object:
        self._used.add(key)
        if key in self._table:
            return self._table[key]
        if default is _MISSING:
            raise self.fail(key, "is required")
        return default

    def parsed(self, key: str, parse: Callable[[object], T]) -> T:
        """``parse(value)``; a domain error from it is re-labelled with this file and field."""
        value = self.raw(key)
        try:
            return parse(value)
        except LendcoreError as exc:
            raise self.fail(key, exc.detail) from None

    def choice(self, key: str, options: type[E]) -> E:
        """One of an enum's values, compared case-insensitively."""
        value = self.raw(key)
        for option in options:
            if isinstance(value, str) and str(option.value).lower() == value.strip().lower():
                return option
        accepted = ", ".join(str(option.value) for option in options)
        raise self.fail(key, f"{value!r} is not accepted; accepted: {accepted}")

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value.strip()

    def integer(self, key: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(key, _MISSING if default is None else default)
        if type(value) is not int or not low <= value <= high:
            raise self.fail(key, f"must be a whole number from {low} to {high}")
        return value

    def boolean(self, key: str, default: bool | None = None) -> bool:
        value = self.raw(key, _MISSING if default is None else default)
        if not isinstance(value, bool):
            raise self.fail(key, "must be true or false")
        return value

    def rate(self, key: str) -> Decimal:
        return self.parsed(key, lambda v: parse_rate(_string(v, "a rate", "\"0.05%\""), key))

    def money_fen(self, key: str) -> int:
        return self.parsed(key, lambda v: parse_yuan(_string(v, "an amount", "\"500\""), key))

    def day(self, key: str) -> date:
        return self.parsed(key, lambda v: parse_date(_string(v, "a date", "\"2025-05-20\""), key))

    def integers(self, key: str, low: int, high: int, default: list[int] | None = None) -> tuple[
        int, ...
    ]:
        value = self.raw(key, _MISSING if default is None else default)
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"must be a non-empty list of whole numbers from {low} to {high}")
        for item in value:
            if type(item) is not int or not low <= item <= high:
                raise self.fail(key, f"{item!r} is not a whole number from {low} to {high}")
        return tuple(value)

    def strings(self, key: str, default: list[str] | None = None) -> tuple[str, ...]:
        value = self.raw(key, _MISSING if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        return tuple(v.strip() for v in value)

    def tables(self, key: str) -> list[Fields]:
        value = self.raw(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, "must be a non-empty array of tables ([[" + key + "]])")
        return [Fields(self.source, item, f"{self.path}{key}[{i}].") for i, item in
                enumerate(value, start=1)]

    def finish(self) -> None:
        """Refuse keys nobody read: a typo must not fall back to a default."""
        unknown = sorted(set(self._table) - self._used)
        if unknown:
            raise self.fail(unknown[0], "unknown field (check the spelling)")


def _string(value: object, what: str, example: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string such as {example}, not {value!r}")
    return value
