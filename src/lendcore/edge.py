"""Strict edges: the types every request body and CLI option is checked with.

An input is refused with a 422 (the CLI: one line, exit 2) naming the field and what is accepted,
before anything runs. The rules, one place for the API and the CLI:

- **Money** is yuan as ``^[0-9]{1,15}(\\.[0-9]{1,2})?$`` in ASCII digits and nothing else:
  ``"917.99"``, ``"5000"``. Refused: ``"1,5"``, ``"1_000"``, ``"1e3"``, ``"+10"``, ``".5"``,
  ``" 10"``, full-width ``"１０"``, a JSON number.
- **Text** has a maximum length and a character policy: no control, format (bidirectional
  overrides), surrogate, private-use or unassigned characters, no leading or trailing space.
- **Identifiers** (order, merchant, external reference): ``^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$``.
- **Time zones** are IANA names in the configured set (``LENDCORE_TIMEZONES``).
- **Bodies** refuse unknown fields (:class:`Body`).

    >>> parse_money("917.99", "amount")
    91799
    >>> parse_money("1,5", "amount")
    Traceback (most recent call last):
    ...
    lendcore.errors.InvalidInput: amount: money is yuan in ASCII digits with at most 2 decimals, \
e.g. "5000" or "917.99" (got '1,5')
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, BeforeValidator, ConfigDict, Strict, WithJsonSchema
from pydantic import Field as PydanticField

from lendcore.config import allowed_timezones
from lendcore.errors import InvalidInput
from lendcore.money import MONEY_PATTERN, MONEY_RULE, parse_yuan

IDENTIFIER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
IDENTIFIER_RULE = "1 to 64 ASCII letters, digits or . _ : -, starting with a letter or digit"
_IDENTIFIER = re.compile(IDENTIFIER_PATTERN)
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


class Body(BaseModel):
    """Every request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


# -- money -----------------------------------------------------------------------------------
def parse_money(value: object, field: str, *, allow_zero: bool = False) -> int:
    """User-typed money (a string) to fen, by the one pattern; see :func:`money.parse_yuan`."""
    if not isinstance(value, str):
        raise InvalidInput(f"{MONEY_RULE}; a JSON number is refused", field=field)
    return parse_yuan(value, field, allow_zero=allow_zero)


def _money_text(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(MONEY_PATTERN, value):
        shown = value if isinstance(value, str) else type(value).__name__
        raise ValueError(f"{MONEY_RULE} (got {shown!r})")
    return value


Money = Annotated[str, BeforeValidator(_money_text),
                  WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN,
                                  "examples": ["917.99"]})]


# -- text and identifiers ----------------------------------------------------------------------
def check_text(value: str, field: str, max_length: int, *, required: bool = True) -> str:
    """The character policy for free text; raises InvalidInput naming the field."""
    problem = text_problem(value, max_length, required=required)
    if problem:
        raise InvalidInput(problem, field=field)
    return value


def text_problem(value: object, max_length: int, *, required: bool = True) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if required and not value:
        return "must not be empty"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    if value != value.strip():
        return "must not start or end with spaces"
    for ch in value:
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return (f"contains the character U+{ord(ch):04X}; control, format, private-use "
                    "and unassigned characters are refused")
    return None


def _text_validator(max_length: int, required: bool) -> Any:
    def validate(value: object) -> str:
        problem = text_problem(value, max_length, required=required)
        if problem:
            raise ValueError(problem)
        return str(value)

    return BeforeValidator(validate)


def Text(max_length: int, *, required: bool = True) -> Any:
    """A text field of at most ``max_length`` characters under the character policy."""
    return Annotated[str, _text_validator(max_length, required),
                     WithJsonSchema({"type": "string", "maxLength": max_length,
                                     **({"minLength": 1} if required else {})})]


def check_identifier(value: str, field: str) -> str:
    if not _IDENTIFIER.fullmatch(value):
        raise InvalidInput(f"must be {IDENTIFIER_RULE}", field=field)
    return value


def _identifier(value: object) -> str:
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise ValueError(f"must be {IDENTIFIER_RULE}")
    return value


Identifier = Annotated[str, BeforeValidator(_identifier),
                       WithJsonSchema({"type": "string", "pattern": IDENTIFIER_PATTERN})]


# -- numbers -----------------------------------------------------------------------------------
def Count(low: int, high: int) -> Any:
    """A whole number from ``low`` to ``high``; ``"6"`` and ``6.0`` are refused."""
    return Annotated[int, Strict(), PydanticField(ge=low, le=high)]


# -- time zones --------------------------------------------------------------------------------
_IANA: frozenset[str] | None = None


def check_timezone(name: object, field: str = "timezone") -> str:
    problem = timezone_problem(name)
    if problem:
        raise InvalidInput(problem, field=field)
    return str(name)


def timezone_problem(name: object) -> str | None:
    global _IANA
    allowed = allowed_timezones()
    accepted = f"accepted: {', '.join(allowed)}"
    if not isinstance(name, str):
        return f"must be an IANA time zone name; {accepted}"
    if _IANA is None:
        _IANA = frozenset(available_timezones())
    if name not in _IANA:
        return f"{name[:64]!r} is not an IANA time zone; {accepted}"
    if name not in allowed:
        return f"{name!r} is not a time zone this lender serves; {accepted}"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{name!r} has no time-zone data on this server"
    return None


def _timezone(value: object) -> str:
    problem = timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return str(value)


TimeZoneName = Annotated[str, BeforeValidator(_timezone),
                         WithJsonSchema({"type": "string", "maxLength": 64,
                                         "examples": ["Asia/Shanghai"]})]


# -- command-line values and dates (the CLI's counterparts of the types above) ------------
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def check_choice(value: str, field: str, accepted: tuple[str, ...]) -> str:
    if value not in accepted:
        raise InvalidInput(f"accepted: {', '.join(accepted)} (got {value[:64]!r})", field=field)
    return value


def check_id(value: str, field: str) -> int:
    """An id typed on the command line: 1 to 2^63-1 in ASCII digits."""
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= 2**63 - 1:
        raise InvalidInput(f"must be an id from 1 to 2^63-1 (got {value[:32]!r})", field=field)
    return int(value)


def check_count(value: str, field: str, low: int, high: int) -> int:
    """A whole number typed on the command line, from ``low`` to ``high``."""
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high} (got {value[:32]!r})",
                           field=field)
    return int(value)


def check_date(value: str, field: str) -> date:
    """A date typed on the command line: ``YYYY-MM-DD``."""
    if not _DATE.fullmatch(value):
        raise InvalidInput(f"must be a date YYYY-MM-DD (got {value[:32]!r})", field=field)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date", field=field) from None


def _iso_date(value: object) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date") from None


# "2026-03-01" only: no timestamps, no datetimes, no other spellings.
StrictDate = Annotated[date, BeforeValidator(_iso_date),
                       WithJsonSchema({"type": "string", "format": "date"})]
