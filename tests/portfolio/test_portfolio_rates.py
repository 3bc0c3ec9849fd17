"""A generated book carries every loan's disclosed APR, penalty rate and LPR (issue #14, item 2).

Before, ``lendcore portfolio generate`` wrote ``apr_nominal_ppb = 0`` for every loan and no LPR;
now each loan stores what opening it would have stored: its APR (单利), the penalty rate of the
product's rule (1.5 x the contract rate; flat-fee: x the fee's equivalent rate; at most 24%) and
the one-year LPR in force on its start date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from lendcore.caps import load_caps
from lendcore.rates import ppb_to_rate, rate_to_ppb
from lendcore.schedules.apr import flat_fee_equivalent_rate
from lendcore.store.servicing_tables import loans
from lendcore_tools.portfolio.generate import generate
from lendcore_tools.portfolio.prototypes import prototypes
from tests.conftest import fresh_database

BUSINESS_DATE = date(2026, 3, 1)
CAP_PPB = 240_000_000


def test_every_prototype_carries_its_apr_its_rules_penalty_and_the_lpr_of_its_start() -> None:
    protos = prototypes(seed=3, count=80, business_date=BUSINESS_DATE)
    methods = {p.state.terms.method for p in protos}
    assert {"flat-fee", "pay-any-time", "equal-installment"} <= methods
    for proto in protos:
        terms = proto.state.terms
        lpr = load_caps().on(terms.start).lpr_one_year
        assert lpr is not None and proto.lpr_one_year_ppb == rate_to_ppb(lpr)
        tolerance = Decimal(12) / terms.principal_fen  # half a fen an installment, a year
        if terms.method == "flat-fee":
            equivalent = flat_fee_equivalent_rate(ppb_to_rate(terms.fee_rate_ppb),
                                                  terms.installments)
            assert abs(ppb_to_rate(proto.apr_nominal_ppb) - equivalent) <= tolerance
            assert terms.penalty_rate_ppb == rate_to_ppb(equivalent * Decimal("1.5"))
        else:  # fee-free: the APR is the contract rate, on any calendar
            contract = ppb_to_rate(terms.annual_rate_ppb)
            assert abs(ppb_to_rate(proto.apr_nominal_ppb) - contract) <= tolerance
            assert terms.penalty_rate_ppb == min(terms.annual_rate_ppb * 3 // 2, CAP_PPB)


def test_a_generated_book_has_no_loan_without_an_apr_or_an_lpr(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as engine:
        generate(engine.url.render_as_string(hide_password=False), 200, 5, BUSINESS_DATE,
                 workers=1)
        with engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(loans)).scalar_one()
            missing = conn.execute(select(func.count()).select_from(loans).where(
                (loans.c.apr_nominal_ppb <= 0) | loans.c.lpr_one_year_ppb.is_(None))).scalar_one()
    assert total == 200 and missing == 0
