"""A checkout loan is bound to its order.

- One loan per (merchant, order): a second checkout of the same order is a 409
  ``order_already_financed`` that changes nothing, also when the read before the write misses
  it (the unique constraint decides); the same order id at another merchant is another order.
- The order's items (name, category, quantity, unit price) are kept with the loan, and they sum
  to the order's amount: 3,999.00 for 2 x 1,999.50 is accepted, a fen more or less is refused
  naming ``items``; an order without items is refused.
- The merchant is registered and active.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from lendcore.customers.operations import OpenLine
from lendcore.customers.service import get_line
from lendcore.errors import Conflict, InvalidInput, LendcoreError
from lendcore.servicing import orders
from lendcore.servicing.operations import Checkout, Item
from lendcore.store.merchant_tables import checkout_order_items, checkout_orders
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.servicing.helpers import (
    MERCHANT,
    add_merchant,
    goods,
    make_cli,
    new_line,
    run,
    start_book,
)

DAY0 = date(2026, 1, 5)
PHONES = (Item("Xiaomi 14", "electronics", 2, 199_950),)  # 2 x 1,999.50 = 3,999.00


@pytest.fixture()
def shopper(engine: Engine) -> tuple[Engine, int, int]:
    """A customer with a 20,000.00 checkout line: (engine, customer id, line id)."""
    start_book(engine, DAY0)
    cid, _ = new_line(engine)
    line = run(engine, OpenLine(cid, "checkout-installment", 2_000_000))
    return engine, cid, int(line["line_id"])


def _book_state(engine: Engine, line_id: int) -> tuple[int, int, int]:
    with UnitOfWork(engine, read_only=True) as uow:
        conn = uow.conn
        return (int(conn.execute(select(func.count()).select_from(loans)).scalar_one()),
                int(conn.execute(select(func.count()).select_from(checkout_orders))
                    .scalar_one()),
                get_line(conn, line_id).used_fen)


def _refused(engine: Engine, line_id: int, command: Checkout, key: str) -> LendcoreError:
    before = _book_state(engine, line_id)
    with pytest.raises(LendcoreError) as err:
        run(engine, command, key)
    assert _book_state(engine, line_id) == before
    return err.value


def test_the_order_and_its_items_are_kept_with_the_loan(
        shopper: tuple[Engine, int, int]) -> None:
    engine, cid, _ = shopper
    items = (Item("Xiaomi 14", "electronics", 1, 399_900), Item("保护壳", "accessories", 3, 3_990))
    loan = run(engine, Checkout(cid, "O-1", MERCHANT, 411_870, 12, items), "co")
    with UnitOfWork(engine, read_only=True) as uow:
        order = orders.get(uow.conn, loan["loan_id"])
    assert order is not None
    assert (order.merchant_id, order.order_id, order.customer_id, order.amount_fen) == (
        MERCHANT, "O-1", cid, 411_870)
    assert order.items == (("Xiaomi 14", "electronics", 1, 399_900),
                           ("保护壳", "accessories", 3, 3_990))
    assert (order.interest_free, order.subsidy_fen, order.ordered_on) == (False, 0, DAY0)


def test_a_second_checkout_of_the_same_order_is_a_409_that_changes_nothing(
        shopper: tuple[Engine, int, int]) -> None:
    engine, cid, line_id = shopper
    first = run(engine, Checkout(cid, "O-1", MERCHANT, 399_900, 12, PHONES), "first")
    err = _refused(engine, line_id, Checkout(cid, "O-1", MERCHANT, 399_900, 6, PHONES),
                   "second")
    assert isinstance(err, Conflict) and err.http_status == 409
    assert (err.code, err.field) == ("order_already_financed", "order_id")
    assert str(first["loan_id"]) in err.detail


def test_the_unique_constraint_refuses_a_second_loan_the_read_did_not_see(
        shopper: tuple[Engine, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, cid, line_id = shopper
    run(engine, Checkout(cid, "O-1", MERCHANT, 399_900, 12, PHONES), "first")
    monkeypatch.setattr(orders, "check_new", lambda conn, merchant_id, order_id: None)
    err = _refused(engine, line_id, Checkout(cid, "O-1", MERCHANT, 399_900, 6, PHONES),
                   "racer")
    assert (err.code, err.http_status) == ("order_already_financed", 409)


def test_the_same_order_id_at_another_merchant_is_another_order(
        shopper: tuple[Engine, int, int]) -> None:
    engine, cid, _ = shopper
    with UnitOfWork(engine) as uow:
        add_merchant(uow.conn, "jd-electronics", "京东数码", "electronics")
        uow.commit()
    run(engine, Checkout(cid, "O-1", MERCHANT, 399_900, 12, PHONES), "mi")
    other = run(engine, Checkout(cid, "O-1", "jd-electronics", 399_900, 12, PHONES), "jd")
    assert other["merchant_id"] == "jd-electronics" and other["order_id"] == "O-1"


@pytest.mark.parametrize(("amount", "accepted"), [(399_900, True), (399_899, False),
                                                   (399_901, False)])
def test_the_items_sum_to_the_order_amount_to_the_fen(
        shopper: tuple[Engine, int, int], amount: int, accepted: bool) -> None:
    engine, cid, line_id = shopper
    command = Checkout(cid, "O-1", MERCHANT, amount, 12, PHONES)
    if accepted:
        assert run(engine, command, "sum")["principal"] == "3999.00"
        return
    err = _refused(engine, line_id, command, "sum")
    assert isinstance(err, InvalidInput) and err.field == "items"
    assert "3999.00" in err.detail


@pytest.mark.parametrize(("items", "field"), [
    ((), "items"),
    ((Item("", "electronics", 1, 399_900),), "items.0.name"),
    ((Item("phone", "Phones", 1, 399_900),), "items.0.category"),
    ((Item("phone", "electronics", 0, 399_900),), "items.0.quantity"),
    ((Item("phone", "electronics", 1000, 400),), "items.0.quantity"),
    ((Item("phone", "electronics", 1, 400_000), Item("coupon", "discount", 1, -100)),
     "items.1.unit_price"),
    (tuple(Item("case", "accessories", 1, 3_999) for _ in range(101)), "items"),
])
def test_an_order_without_items_or_with_a_bad_item_is_refused_naming_it(
        shopper: tuple[Engine, int, int], items: tuple[Item, ...], field: str) -> None:
    engine, cid, line_id = shopper
    err = _refused(engine, line_id, Checkout(cid, "O-1", MERCHANT, 399_900, 12, items), "bad")
    assert isinstance(err, InvalidInput) and err.field == field


def test_an_unregistered_or_suspended_merchant_is_paid_by_no_checkout(
        shopper: tuple[Engine, int, int]) -> None:
    from lendcore.merchants.operations import SetMerchantStatus

    engine, cid, line_id = shopper
    err = _refused(engine, line_id, Checkout(cid, "O-1", "M-1", 399_900, 12, PHONES), "m1")
    assert (err.code, err.field, err.http_status) == ("merchant_not_registered", "merchant_id",
                                                      422)
    run(engine, SetMerchantStatus(MERCHANT, "suspended"))
    err = _refused(engine, line_id, Checkout(cid, "O-1", MERCHANT, 399_900, 12, PHONES), "sus")
    assert (err.code, err.field) == ("merchant_suspended", "merchant_id")


def test_the_order_tables_hold_exactly_what_was_written(
        shopper: tuple[Engine, int, int]) -> None:
    engine, cid, _ = shopper
    loan = run(engine, Checkout(cid, "O-7", MERCHANT, 399_900, 3, goods(399_900)), "o7")
    with UnitOfWork(engine, read_only=True) as uow:
        head = uow.conn.execute(select(checkout_orders)).one()
        lines = uow.conn.execute(select(checkout_order_items)).all()
    assert (head.loan_id, head.merchant_id, head.order_id) == (loan["loan_id"], MERCHANT, "O-7")
    assert [(r.line, r.quantity, r.unit_price_fen) for r in lines] == [(1, 1, 399_900)]


# -- through the API and the CLI ----------------------------------------------------------------
def test_over_the_api_an_order_needs_items_and_a_repeat_is_a_409(
        shopper: tuple[Engine, int, int]) -> None:
    from fastapi.testclient import TestClient

    from lendcore.api.app import create_app
    from tests.auth import signed_in

    engine, cid, _ = shopper
    item = {"name": "Xiaomi 14", "category": "electronics", "quantity": 2,
            "unit_price": "1999.50"}
    order: dict[str, Any] = {"order_id": "O-1", "merchant_id": MERCHANT, "amount": "3999"}
    with TestClient(create_app(engine), raise_server_exceptions=False) as c:
        client = signed_in(c, engine)

        def post(body_order: dict[str, Any], key: str) -> Any:
            return client.post("/checkout-loans", headers={"Idempotency-Key": key}, json={
                "customer_id": cid, "installments": 12, "order": body_order})

        none = post(order, "a")
        assert none.status_code == 422 and none.json()["field"] == "order.items"
        empty = post({**order, "items": []}, "b")
        assert empty.status_code == 422 and empty.json()["field"] == "order.items"
        short = post({**order, "items": [{**item, "quantity": 1}]}, "c")
        assert short.status_code == 422 and short.json()["field"] == "items"
        ok = post({**order, "items": [item]}, "d")
        assert ok.status_code == 201, ok.text
        again = post({**order, "items": [item]}, "e")
        assert again.status_code == 409 and again.json()["error"] == "order_already_financed"


def test_the_cli_takes_the_items_and_refuses_a_malformed_one_in_one_line(
        shopper: tuple[Engine, int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine, cid, _ = shopper
    cli = make_cli(engine, monkeypatch)
    base = ("checkout", "--customer", str(cid), "--order-id", "O1", "--merchant", MERCHANT,
            "--amount", "4038.90", "--installments", "12")
    for bad in ("electronics:1:3999", "electronics:one:3999:phone", "electronics:1000:1:x"):
        code, out = cli(*base, "--item", bad)
        assert code == 2 and out.startswith("error: --item: "), out
    code, out = cli(*base, "--item", "electronics:1:3999.00:Xiaomi 14: 16GB",
                    "--item", "accessories:1:39.90:壳")
    assert code == 0, out
    loan = json.loads(out)
    with UnitOfWork(engine, read_only=True) as uow:
        order = orders.get(uow.conn, loan["loan_id"])
    assert order is not None and order.items == (
        ("Xiaomi 14: 16GB", "electronics", 1, 399_900), ("壳", "accessories", 1, 3_990))
