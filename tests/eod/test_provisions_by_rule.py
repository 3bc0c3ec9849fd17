"""Provisions as domain.md s4 reads: general 1% of loans, specific 关注 2%, 次级 25%, 可疑 50%,
损失 100% on top.

The base ("loans") is the principal outstanding of every active loan, whatever its class; a
charged-off loan is written off and out of it. Each class carries general + specific: 正常 1%,
关注 3%, 次级 26%, 可疑 51%, 损失 101%. Allowance per product and class = ROUND_HALF_UP(exposure x
bp / 10,000) to the fen; the ledger receives the change of each product's total per day.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection, Engine, func, select

from lendcore.eod import accounting
from lendcore.eod.run import post_provisions, run_through
from lendcore.ledger.accounts import Account
from lendcore.ledger.store import audit
from lendcore.store.eod_tables import eod_provisions
from lendcore.store.ledger_tables import journal_entries as je
from lendcore.store.ledger_tables import postings
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.eod.conftest import BUSINESS_DATE, url_of

# A small book: each class's exposure on the half-fen (rounded up) and one fen below it.
ON_THE_HALF = {"normal": (100_000_050, 1_000_001),  # 1,000,000.5 fen: half-even would say ...000
               "special_mention": (1_234_550, 37_037),  # x 3% = 37,036.5
               "substandard": (1_000_025, 260_007),  # x 26% = 260,006.5
               "doubtful": (2_000_050, 1_020_026),  # x 51% = 1,020,025.5
               "loss": (300_050, 303_051)}  # x 101% = 303,050.5
BELOW_THE_HALF = {"normal": (100_000_049, 1_000_000),  # 1,000,000.49
                  "special_mention": (1_234_549, 37_036),  # 37,036.47
                  "substandard": (1_000_024, 260_006),  # 260,006.24
                  "doubtful": (2_000_049, 1_020_025),  # 1,020,024.99
                  "loss": (300_049, 303_049)}  # 303,049.49


def test_each_class_carries_the_general_1_percent_plus_its_specific_rate() -> None:
    assert accounting.PROVISION_BP == {"normal": 100, "special_mention": 300,
                                       "substandard": 2_600, "doubtful": 5_100, "loss": 10_100}


def test_the_allowance_of_a_small_book_by_class_to_the_fen_rounded_half_up() -> None:
    exposure = {"cash-line": {c: e for c, (e, _) in ON_THE_HALF.items()},
                "checkout-installment": {c: e for c, (e, _) in BELOW_THE_HALF.items()}}
    got = accounting.allowances(exposure)
    assert got == {"cash-line": {c: a for c, (_, a) in ON_THE_HALF.items()},
                   "checkout-installment": {c: a for c, (_, a) in BELOW_THE_HALF.items()}}
    assert sum(got["cash-line"].values()) == 2_620_122
    # The domain's worked example: 1,000,000.00 of 正常 and 10,000.00 of 次级 -> 12,600.00.
    assert accounting.allowances({"p": {"normal": 100_000_000, "substandard": 1_000_000}}) == {
        "p": {"normal": 1_000_000, "special_mention": 0, "substandard": 260_000, "doubtful": 0,
              "loss": 0}}


def _allowance_by_product(conn: Connection) -> dict[str, int]:
    """The loan-loss allowance account per product, in its normal (credit) sense."""
    rows = conn.execute(
        select(je.c.product_code, func.sum(postings.c.credit_fen - postings.c.debit_fen))
        .select_from(postings.join(je, je.c.id == postings.c.entry_id))
        .where(postings.c.account_code == Account.LOAN_LOSS_ALLOWANCE.code)
        .group_by(je.c.product_code))
    return {p: int(v) for p, v in rows}


def _provision_entries(conn: Connection, day: date) -> dict[str, int]:
    """Each product's provision entry of ``day``: + expense (Dr), - release."""
    rows = conn.execute(
        select(je.c.product_code, func.sum(postings.c.debit_fen - postings.c.credit_fen))
        .select_from(postings.join(je, je.c.id == postings.c.entry_id))
        .where(je.c.reason == "provision", je.c.effective_date == day,
               postings.c.account_code == Account.PROVISION_EXPENSE.code)
        .group_by(je.c.product_code))
    return {p: int(v) for p, v in rows}


def test_the_ledger_receives_each_days_change_and_holds_the_allowance(engine: Engine) -> None:
    day1, day2 = date(2026, 3, 1), date(2026, 3, 2)
    first = {"cash-line": {c: e for c, (e, _) in ON_THE_HALF.items()},
             "checkout-installment": {"normal": 50_000_000}}
    # Day 2: cash-line's 关注 loans pay down, one 次级 loan moves up to 可疑; checkout grows.
    second = {"cash-line": {**first["cash-line"], "special_mention": 1_000_000,
                            "substandard": 0, "doubtful": 3_000_075},
              "checkout-installment": {"normal": 60_000_000, "special_mention": 100_000}}
    with UnitOfWork(engine) as uow:
        assert post_provisions(uow.conn, day1, first) == {
            "cash-line": 2_620_122, "checkout-installment": 500_000}
        uow.commit()
    with UnitOfWork(engine) as uow:
        # cash-line: 1,000,001 + 30,000 + 0 + 1,530,038 (3,000,075 x 51% = 1,530,038.25)
        # + 303,051 = 2,863,090, up 242,968; checkout: 600,000 + 3,000 = 603,000, up 103,000.
        assert post_provisions(uow.conn, day2, second) == {
            "cash-line": 242_968, "checkout-installment": 103_000}
        uow.commit()
    with engine.connect() as conn:
        assert _provision_entries(conn, day1) == {"cash-line": 2_620_122,
                                                  "checkout-installment": 500_000}
        assert _provision_entries(conn, day2) == {"cash-line": 242_968,
                                                  "checkout-installment": 103_000}
        assert _allowance_by_product(conn) == {"cash-line": 2_863_090,
                                               "checkout-installment": 603_000}
        rows = {(r.product_code, r.risk_class): (r.exposure_fen, r.rate_bp, r.allowance_fen)
                for r in conn.execute(select(eod_provisions).where(
                    eod_provisions.c.business_date == day2))}
    assert rows[("cash-line", "doubtful")] == (3_000_075, 5_100, 1_530_038)
    assert rows[("cash-line", "substandard")] == (0, 2_600, 0)
    assert rows[("checkout-installment", "special_mention")] == (100_000, 300, 3_000)
    # A release: the book shrinks to nothing on day 3, the allowance goes back to zero.
    with UnitOfWork(engine) as uow:
        assert post_provisions(uow.conn, day2 + timedelta(days=1), {}) == {
            "cash-line": -2_863_090, "checkout-installment": -603_000}
        uow.commit()
    with engine.connect() as conn:
        assert _allowance_by_product(conn) == {"cash-line": 0, "checkout-installment": 0}


def test_the_nightly_base_is_every_active_loan_of_every_class_not_charged_off(
        book: Engine) -> None:
    through = BUSINESS_DATE + timedelta(days=1)
    run_through(url_of(book), through, partitions=2, workers=1, steps=())
    with book.connect() as conn:
        want: dict[tuple[str, str], int] = {}
        for product, cls, fen in conn.execute(
                select(loans.c.product_code, loans.c.risk_class,
                       func.sum(loans.c.principal_outstanding_fen))
                .where(loans.c.status == "active")
                .group_by(loans.c.product_code, loans.c.risk_class)):
            want[(product, cls)] = int(fen)
        written_off = conn.execute(select(func.sum(loans.c.principal_outstanding_fen)).where(
            loans.c.status == "charged_off")).scalar_one()
        rows = list(conn.execute(select(eod_provisions).where(
            eod_provisions.c.business_date == through)))
        ledger = _allowance_by_product(conn)
        assert audit(conn) == []
    assert written_off > 0  # the book has charged-off principal, and it is not in the base
    assert {c for (_, c), fen in want.items() if fen} >= {"normal", "special_mention",
                                                           "substandard"}
    got = {(r.product_code, r.risk_class): int(r.exposure_fen) for r in rows}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    for r in rows:
        assert r.rate_bp == accounting.PROVISION_BP[r.risk_class]
        assert r.allowance_fen == accounting.allowance_fen(int(r.exposure_fen), r.risk_class)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r.product_code] = totals.get(r.product_code, 0) + int(r.allowance_fen)
    assert ledger == totals  # the opening allowance plus every day's change
