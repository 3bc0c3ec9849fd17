"""One source for product numbers: a decision reads the term tiers, the installment counts, the
rate range and the limit range from the product catalogue, and never approves a term the product
does not offer (the cash line offers 1-12 installments: 12 is decided, 13 and 24 are refused)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from origination_helpers import ON, application, body
from sqlalchemy import Engine, func, select

from lendcore.api.app import create_app
from lendcore.clock import LENDER_ZONE, SimulatedClock
from lendcore.errors import InvalidInput
from lendcore.origination import ladder, policy, pricing
from lendcore.origination.model import Outcome, Prior
from lendcore.origination.operations import Decide
from lendcore.origination.scorecard import load_scorecard
from lendcore.products.catalogue import get_product
from lendcore.products.model import RateTier
from lendcore.rates import AnnualRate
from lendcore.runner import Context, execute
from lendcore.store.origination_tables import decisions
from tests.auth import signed_in

CARD = load_scorecard()
CASH = get_product("cash-line")
NOW = datetime(2025, 6, 2, 10, 30, tzinfo=LENDER_ZONE)


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine, clock=SimulatedClock(NOW))) as c:
        yield signed_in(c, engine)


def rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def test_the_cash_line_is_decided_for_12_installments_and_refused_for_13_and_24(
        client: TestClient, engine: Engine) -> None:
    assert CASH.installment_counts[-1] == 12
    ok = client.post("/applications", json=body(installments=12))
    assert ok.status_code == 201 and ok.json()["decision"] == "approve", ok.text
    for refused in (13, 24):
        r = client.post("/applications", json=body(installments=refused))
        assert r.status_code == 422 and r.json()["field"] == "installments", r.text
        assert f"not {refused}" in r.json()["detail"] and "12" in r.json()["detail"]
    assert rows(engine) == 1


def test_a_term_not_offered_is_refused_by_the_domain_too_and_nothing_is_recorded(
        engine: Engine) -> None:
    """The demo and any program build the application themselves: the decision itself
    refuses, before any rule, an installment count the product does not offer."""
    long = replace(application(), installments=24)
    with pytest.raises(InvalidInput) as refused:
        ladder.decide(long, Prior(), CARD, ON)
    assert refused.value.field == "installments"
    with pytest.raises(InvalidInput) as through_runner:
        execute(engine, Decide(long), ctx=Context(now=NOW))
    assert through_runner.value.field == "installments"
    assert rows(engine) == 0
    twelve = ladder.decide(replace(application(), installments=12), Prior(), CARD, ON)
    assert twelve.outcome is Outcome.APPROVE


def test_an_amount_outside_the_products_range_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as low:
        ladder.decide(replace(application(), amount_fen=CASH.principal_min_fen - 1), Prior(),
                      CARD, ON)
    assert low.value.field == "amount" and "500.00 to 50000.00" in str(low.value)
    for edge in (CASH.principal_min_fen, CASH.principal_max_fen):
        assert ladder.decide(replace(application(), amount_fen=edge), Prior(), CARD,
                             ON).outcome is Outcome.APPROVE
    with pytest.raises(InvalidInput):
        ladder.decide(replace(application(), amount_fen=CASH.principal_max_fen + 1), Prior(),
                      CARD, ON)


def test_the_price_follows_the_catalogues_tiers_and_rate_range(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Change the cash line in the catalogue and the decision follows: no second copy."""
    assert pricing.price(470, 5_000_00, 3)[0] == Decimal("0.0003")  # the shipped 1-3 tier
    six = replace(application(), installments=6)
    daily = AnnualRate.from_daily
    changed = replace(
        CASH, installment_counts=(1, 2, 3, 4, 5, 6),
        rate_min=daily(Decimal("0.0001")), rate_max=daily(Decimal("0.0004")),
        tiers=(RateTier(1, 3, daily(Decimal("0.00025")), Decimal(0)),
               RateTier(4, 6, daily(Decimal("0.00035")), Decimal(0))))
    monkeypatch.setattr(policy, "get_product",
                        lambda code: changed if code == "cash-line" else get_product(code))
    assert pricing.price(470, 5_000_00, 3)[0] == Decimal("0.00025")  # the new 1-3 tier
    assert pricing.price(470, 5_000_00, 6)[0] == Decimal("0.00035")
    assert pricing.price(650, 5_000_00, 6)[0] == Decimal("0.0002")  # band A, above the floor
    assert pricing.price(650, 20_000_00, 6)[0] == Decimal("0.00015")  # discount, new floor
    with pytest.raises(InvalidInput) as refused:
        policy.check_request(policy.product("cash-line"), 5_000_00, 7)
    assert refused.value.field == "installments"
    d = ladder.decide(six, Prior(), CARD, ON)
    assert d.outcome is Outcome.APPROVE and d.daily_rate == Decimal("0.0002")


def test_the_limit_range_is_the_products(monkeypatch: pytest.MonkeyPatch) -> None:
    current = 45_000_00  # a returning customer's line, above the new-customer cap
    eco = application().ecosystem
    kept, _ = pricing.initial_limit(650, 100_000_00, 0, Decimal("0.0002"), eco,
                                    current_limit_fen=current)
    assert kept == current
    narrower = replace(CASH, principal_max_fen=40_000_00)
    capped, _ = pricing.initial_limit(650, 100_000_00, 0, Decimal("0.0002"), eco,
                                      current_limit_fen=current, offered=narrower)
    assert capped == 40_000_00


def test_origination_keeps_no_copy_of_the_product_numbers() -> None:
    for copied in ("TERM_TIERS", "DAILY_RATE_MIN", "DAILY_RATE_MAX", "INSTALLMENTS_MAX",
                   "term_tier_ceiling", "DAYS_PER_YEAR", "ALL_IN_CAP_ANNUAL"):
        assert not hasattr(policy, copied), copied
    # What stays in policy for the cash line is read from the catalogue.
    cash_range = (CASH.principal_min_fen, CASH.principal_max_fen)
    assert cash_range == (policy.LIMIT_MIN_FEN, policy.LIMIT_MAX_FEN) == (500_00, 50_000_00)
