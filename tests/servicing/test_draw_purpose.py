"""Draws say what the money is for and whom it pays, and the smallest draw is its own setting.

- The purpose is a code of the closed list of consumption purposes (日常消费 daily_consumption,
  家电 appliances, 数码 electronics, 家居 furniture, 装修 home_renovation, 教育 education, 旅游
  travel, 医疗 medical, 婚庆 wedding). Anything else -- 股票, 购房, 理财, "stocks", an empty
  purpose, a label instead of the code -- is a 422 naming ``purpose`` and listing the codes.
- The payee is a registered, active merchant (受托支付), never free text; the borrower's own
  account is refused until bank cards are bound (no verified account exists yet).
- The cash line lends from its ``min_draw`` (100.00 CNY), not from the bottom of its limit
  range (500.00).
Every refusal reserves nothing and opens no loan.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, func, select

from lendcore.errors import InvalidInput, LendcoreError, RuleViolation
from lendcore.products.catalogue import get_product, parse_product
from lendcore.products.model import CONSUMPTION_PURPOSES
from lendcore.servicing.operations import Draw
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import MERCHANT, add_merchant, new_line, run, start_book

DAY0 = date(2026, 1, 5)
CODES = [p.code for p in CONSUMPTION_PURPOSES]


@pytest.fixture()
def book(engine: Engine) -> Engine:
    start_book(engine, DAY0)
    return engine


def _state(engine: Engine, line_id: int) -> tuple[int, int]:
    """(loans, the line's used fen): what a refusal must leave as it was."""
    from lendcore.customers.service import get_line

    with UnitOfWork(engine, read_only=True) as uow:
        count = uow.conn.execute(select(func.count()).select_from(loans)).scalar_one()
        return int(count), get_line(uow.conn, line_id).used_fen


def _refused(engine: Engine, line_id: int, command: Draw) -> LendcoreError:
    before = _state(engine, line_id)
    with pytest.raises(LendcoreError) as err:
        run(engine, command, "refused")
    assert _state(engine, line_id) == before
    return err.value


# -- purpose ------------------------------------------------------------------------------------
def test_the_purpose_list_is_closed_and_labelled_in_chinese_and_english() -> None:
    assert CODES == ["daily_consumption", "appliances", "electronics", "furniture",
                     "home_renovation", "education", "travel", "medical", "wedding"]
    labels = {p.code: p.label_zh for p in CONSUMPTION_PURPOSES}
    assert labels["daily_consumption"] == "日常消费" and labels["home_renovation"] == "装修"
    assert get_product("cash-line").purposes == tuple(CODES)
    assert get_product("checkout-installment").purposes == ()  # goods only, no draws


@pytest.mark.parametrize("purpose", ["travel", "daily_consumption", "wedding"])
def test_a_purpose_on_the_list_is_accepted_and_kept_on_the_loan(book: Engine,
                                                                 purpose: str) -> None:
    _, line_id = new_line(book)
    loan = run(book, Draw(line_id, 100_000, 3, purpose, MERCHANT), f"ok-{purpose}")
    assert loan["purpose"] == purpose and loan["payee"] == "merchant:mi-mall"


@pytest.mark.parametrize("purpose", ["股票", "购房", "理财", "stocks", "securities", "investment",
                                     "property", "repay_other_loans", "", "旅游", "Travel",
                                     " travel", "travel-and-leisure"])
def test_a_purpose_off_the_list_is_a_422_naming_purpose_with_the_accepted_codes(
        book: Engine, purpose: str) -> None:
    _, line_id = new_line(book)
    err = _refused(book, line_id, Draw(line_id, 100_000, 3, purpose, MERCHANT))
    assert isinstance(err, RuleViolation) and err.http_status == 422
    assert (err.code, err.field) == ("purpose_not_accepted", "purpose")
    assert all(code in err.detail for code in CODES)
    assert "travel (旅游, travel)" in err.detail


def test_over_the_api_an_empty_purpose_and_stock_buying_are_both_422_on_purpose(
        book: Engine) -> None:
    from fastapi.testclient import TestClient

    from lendcore.api.app import create_app
    from tests.auth import signed_in

    _, line_id = new_line(book)
    with TestClient(create_app(book), raise_server_exceptions=False) as c:
        client = signed_in(c, book)
        for purpose in ("", "股票"):
            r = client.post(f"/credit-lines/{line_id}/draws",
                            headers={"Idempotency-Key": f"p{len(purpose)}"},
                            json={"amount": "1000", "installments": 3, "purpose": purpose,
                                  "payee": MERCHANT})
            assert r.status_code == 422 and r.json()["field"] == "purpose", r.text
        assert client.get(f"/credit-lines/{line_id}").json()["used"] == "0.00"


def test_a_product_file_cannot_add_a_prohibited_purpose() -> None:
    from importlib import resources

    text = resources.files("lendcore.products").joinpath("data").joinpath(
        "cash-line.toml").read_text("utf-8")
    with pytest.raises(InvalidInput) as err:
        parse_product(text.replace('"travel", "medical"', '"travel", "securities"', 1),
                      "cash-line.toml")
    assert err.value.field == "cash-line.toml: purposes" and "securities" in err.value.detail


# -- payee --------------------------------------------------------------------------------------
@pytest.mark.parametrize("payee", ["本人银行卡 6222", "小米商城", "jd-mall", "MI-MALL"])
def test_a_payee_that_is_not_a_registered_merchant_is_refused_naming_payee(
        book: Engine, payee: str) -> None:
    _, line_id = new_line(book)
    err = _refused(book, line_id, Draw(line_id, 100_000, 3, "travel", payee))
    assert (err.code, err.field, err.http_status) == ("merchant_not_registered", "payee", 422)


def test_a_suspended_merchant_is_paid_by_no_draw_until_reactivated(book: Engine) -> None:
    from lendcore.merchants.operations import SetMerchantStatus

    _, line_id = new_line(book)
    run(book, SetMerchantStatus(MERCHANT, "suspended"))
    err = _refused(book, line_id, Draw(line_id, 100_000, 3, "travel", MERCHANT))
    assert (err.code, err.field) == ("merchant_suspended", "payee")
    run(book, SetMerchantStatus(MERCHANT, "active"))
    assert run(book, Draw(line_id, 100_000, 3, "travel", MERCHANT), "again")["loan_id"]


def test_another_registered_merchant_is_a_payee_too(book: Engine) -> None:
    with UnitOfWork(book) as uow:
        add_merchant(uow.conn, "suning-appliances", "苏宁易购", "appliances")
        uow.commit()
    _, line_id = new_line(book)
    loan = run(book, Draw(line_id, 100_000, 3, "appliances", "suning-appliances"), "sn")
    assert loan["payee"] == "merchant:suning-appliances"


def test_the_borrowers_own_account_is_refused_while_no_account_is_verified(
        book: Engine) -> None:
    _, line_id = new_line(book)
    err = _refused(book, line_id, Draw(line_id, 100_000, 3, "travel", "card-6222",
                                       payee_kind="own_account"))
    assert (err.code, err.field, err.http_status) == ("no_verified_account", "payee_kind", 422)
    assert "no verified account" in err.detail


@pytest.mark.parametrize("kind", ["ecosystem", "partner_merchant", "self", "Merchant"])
def test_an_unknown_payee_kind_is_refused_with_the_accepted_kinds(book: Engine,
                                                                  kind: str) -> None:
    _, line_id = new_line(book)
    err = _refused(book, line_id, Draw(line_id, 100_000, 3, "travel", MERCHANT,
                                       payee_kind=kind))
    assert isinstance(err, InvalidInput) and err.field == "payee_kind"
    assert "merchant, own_account" in err.detail


def test_over_the_api_free_text_is_no_payee(book: Engine) -> None:
    from fastapi.testclient import TestClient

    from lendcore.api.app import create_app
    from tests.auth import signed_in

    _, line_id = new_line(book)
    with TestClient(create_app(book), raise_server_exceptions=False) as c:
        r = signed_in(c, book).post(
            f"/credit-lines/{line_id}/draws", headers={"Idempotency-Key": "t"},
            json={"amount": "1000", "installments": 3, "purpose": "travel",
                  "payee": "本人银行卡 6222"})
    assert r.status_code == 422 and r.json()["field"] == "payee"


# -- the smallest draw --------------------------------------------------------------------------
def test_the_minimum_draw_is_its_own_setting_not_the_bottom_of_the_limit_range() -> None:
    cash = get_product("cash-line")
    assert (cash.min_draw_fen, cash.principal_min_fen) == (10_000, 50_000)
    assert get_product("checkout-installment").min_draw_fen == 10_000


@pytest.mark.parametrize("method", ["equal-installment", "pay-any-time", "bullet"])
def test_a_100_yuan_draw_is_lent_and_99_99_is_refused_naming_amount(book: Engine,
                                                                    method: str) -> None:
    _, line_id = new_line(book, limit_fen=50_000)  # the smallest limit: 500.00
    loan = run(book, Draw(line_id, 10_000, 3, "travel", MERCHANT, method), "min")
    assert loan["principal"] == "100.00"
    err = _refused(book, line_id, Draw(line_id, 9_999, 3, "travel", MERCHANT, method))
    assert isinstance(err, InvalidInput) and err.field == "amount" and "100.00" in err.detail


@pytest.mark.parametrize(("min_draw", "accepted"), [
    ('"0.01"', True), ('"50000"', True), ('"0"', False), ('"50000.01"', False)])
def test_a_product_files_min_draw_is_above_zero_and_at_most_principal_max(
        min_draw: str, accepted: bool) -> None:
    from importlib import resources

    text = resources.files("lendcore.products").joinpath("data").joinpath(
        "cash-line.toml").read_text("utf-8").replace('min_draw = "100"', f"min_draw = {min_draw}")
    if accepted:
        assert parse_product(text, "cash-line.toml").min_draw_fen > 0
        return
    with pytest.raises(InvalidInput) as err:
        parse_product(text, "cash-line.toml")
    assert err.value.field == "cash-line.toml: min_draw"


