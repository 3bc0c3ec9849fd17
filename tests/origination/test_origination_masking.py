"""Masking that cannot be undone by combination (domain rule 10): no response about a decision
or a customer shows a field that gives back the digits a masked ID hides (the birth date), and
the age is a ten-year band. Checked on every response an applicant, a reviewer or an operator
gets: the decision, its explanation, the review queue, the customer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from origination_helpers import ON, body, make_id
from sqlalchemy import Engine
from stdnum.cn import ric

from lendcore.api.app import create_app
from lendcore.clock import LENDER_ZONE, SimulatedClock
from lendcore.origination import kyc
from lendcore.store.origination_tables import decisions
from tests.auth import signed_in

NOW = datetime(2025, 6, 2, 21, 30, tzinfo=LENDER_ZONE)

HIDDEN = ("birth_date", "gender", "age", "date_of_birth", "sex")


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    app: FastAPI = create_app(engine, clock=SimulatedClock(NOW))
    with TestClient(app) as c:
        yield signed_in(c, engine)


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def candidates(masked: str, band: str, on: date) -> int:
    """Birth dates consistent with what a response shows: the mask's region and last four
    characters (sequence and check character), the age band on the decision date."""
    low, high = (int(x) for x in band.split("-"))
    latest = on.replace(year=on.year - low)
    earliest = on.replace(year=on.year - high - 1) + timedelta(days=1)
    found, day = 0, earliest
    while day <= latest:
        body17 = f"{masked[:6]}{day:%Y%m%d}{masked[14:17]}"
        found += ric.calc_check_digit(body17) == masked[17]
        day += timedelta(days=1)
    return found


def assert_cannot_rebuild(response: Any, birth: date, age: int) -> None:
    hidden = f"{birth:%Y%m%d}"
    for path, value in leaves(response):
        name = path.rsplit(".", 1)[-1]
        assert name not in HIDDEN, f"{path} shown beside a masked ID"
        if isinstance(value, str):
            assert hidden not in re.sub(r"[^0-9]", "", value), f"{path} gives the birth date"
            assert not re.search(rf"\bage {age}\b", value), f"{path} gives the exact age"
        assert value != age or name in ("installments", "consumption_months", "score"), path


BIRTHS = [date(1990, 3, 7), date(2000, 12, 31), date(1975, 2, 28), ON.replace(year=ON.year - 17)]


@pytest.mark.parametrize("birth", BIRTHS)
def test_no_decision_response_lets_one_rebuild_the_masked_id(
        client: TestClient, birth: date, monkeypatch: pytest.MonkeyPatch) -> None:
    from lendcore.origination import ladder

    monkeypatch.setattr(ladder.p, "SCORE_APPROVE_MIN", 10_000)  # referred: the review queue
    number = make_id(birth, region="310101", sequence="125")
    decided = client.post("/applications", json=body(id_number=number)).json()
    age = kyc.age_on(birth, ON)
    explained = client.get(f"/decisions/{decided['decision_id']}").json()
    client.post(f"/decisions/{decided['decision_id']}/review-request", json={"reason": "please"})
    queue = client.get("/reviews").json()
    for response in (decided, explained, queue):
        assert_cannot_rebuild(response, birth, age)
    inputs = explained["inputs"]
    assert inputs["id_number"] == "310101********125" + number[-1]
    assert inputs["mobile"] == "138****5678" and inputs["name"] == "张**"
    if age >= 18:
        assert queue[0]["decision"]["inputs"]["age_band"] == inputs["age_band"]
        # Everything shown together leaves hundreds of birth dates: the ID is not rebuilt.
        assert candidates(inputs["id_number"], inputs["age_band"], ON) >= 100
    else:
        assert inputs["age_band"] == "under 18" and explained["decision"] == "decline"


@pytest.mark.parametrize("birth", BIRTHS[:3])
def test_no_customer_response_lets_one_rebuild_the_masked_id(
        client: TestClient, birth: date) -> None:
    number = make_id(birth, sequence="042")
    decided = client.post("/applications", json=body(id_number=number, name="王小明")).json()
    assert decided["decision"] == "approve", decided
    shown = client.get(f"/customers/{decided['customer_id']}").json()
    assert_cannot_rebuild(shown, birth, kyc.age_on(birth, ON))
    assert (shown["name_masked"], shown["id_number_masked"], shown["mobile_masked"]) == (
        "王**", "110101********042" + number[-1], "138****5678")
    assert "王小明" not in json.dumps(shown, ensure_ascii=False)


def test_a_decision_recorded_before_sealing_shows_no_birth_date_either(
        client: TestClient, engine: Engine) -> None:
    """A row whose stored inputs still hold a birth date, a gender and an exact age (the
    migration scrubs them; the explanation never shows them in any case)."""
    inputs = {"name": "张*", "id_number": "110101********0011", "mobile": "138****5678",
              "birth_date": "1990-03-07", "gender": "M", "age": 35, "amount": "5000.00"}
    with engine.begin() as conn:
        key = conn.execute(decisions.insert().values(
            decided_on=ON, product_code="cash-line", outcome="decline", reasons_json="[]",
            inputs_masked_json=json.dumps(inputs))).inserted_primary_key
    assert key is not None
    explained = client.get(f"/decisions/{key[0]}").json()
    assert_cannot_rebuild(explained, date(1990, 3, 7), 35)
    assert explained["inputs"]["age_band"] == "35-44"
