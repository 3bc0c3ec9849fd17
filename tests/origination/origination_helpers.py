"""Helpers for origination tests: valid ID numbers for any birth date, a good application, the
book's business date."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from sqlalchemy import Engine
from stdnum.cn import ric

from lendcore.origination.model import Application
from lendcore.origination.schemas import parse_application, template
from lendcore.store.core_tables import system_state

ON = date(2025, 6, 2)  # the business date the tests' books open on


def make_id(birth: date, region: str = "110101", sequence: str = "001") -> str:
    """A valid resident ID number (correct check character) for this birth date."""
    body = f"{region}{birth:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def body(**overrides: Any) -> dict[str, Any]:
    """The template's good applicant as a JSON object, with top-level keys replaced."""
    out = copy.deepcopy(template())
    out.update(overrides)
    return out


def application(**overrides: Any) -> Application:
    return parse_application(body(**overrides))


def move_business_date(engine: Engine, day: date) -> None:
    """Set the book's business date (a test's shortcut for the nightly runs in between)."""
    with engine.begin() as conn:
        conn.execute(system_state.update().where(system_state.c.key == "business_date")
                     .values(value=day.isoformat()))
