"""Origination tests: every test database opens its book on the business date ``ON``."""

from __future__ import annotations

import pytest
from origination_helpers import ON

from lendcore.clock import ensure_business_date


@pytest.fixture(autouse=True)
def _business_date(request: pytest.FixtureRequest) -> None:
    """The book of a test using ``engine`` opens on ``ON`` (decisions read it; none is given)."""
    if "engine" in request.fixturenames:
        ensure_business_date(request.getfixturevalue("engine"), ON)
