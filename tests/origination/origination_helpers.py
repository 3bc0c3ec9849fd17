"""Helpers for origination tests: valid ID numbers for any birth date, a good application."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from stdnum.cn import ric

from lendcore.origination.model import Application
from lendcore.origination.schemas import parse_application, template

ON = date(2025, 6, 2)


def make_id(birth: date, region: str = "110101", sequence: str = "001") -> str:
    """A valid resident ID number (correct check character) for this birth date."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def body(**overrides: Any) -> dict[str, Any]:
    """The template's good applicant as a JSON object, with top-level keys replaced."""
    out = copy.deepcopy(template(ON))
    out.update(overrides)
    return out


def application(**overrides: Any) -> Application:
    return parse_application(body(**overrides))
