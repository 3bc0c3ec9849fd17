"""A loan's contract and key-facts sheet: generated from its own terms, APR first, versioned.

Each document is checked against the loan as the book holds it (its row, its schedule), not
against copies of the numbers: the annual rate is the loan's disclosed APR, the schedule is the
loan's schedule to the fen, the penalty rate the one stored on the loan.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from sqlalchemy import Engine, select, update

from lendcore.documents import render
from lendcore.documents.facts import LoanFacts, loan_facts, signed_schedule
from lendcore.documents.views import (
    COMPLAINT_PHONE_ENV,
    COMPLAINT_URL_ENV,
    ComplaintChannel,
    complaint_channel,
    percent,
    yuan,
)
from lendcore.errors import ConfigurationError, Conflict, InvalidInput
from lendcore.money import Rounding
from lendcore.rates import PPB, DayCount
from lendcore.runner import query
from lendcore.schedules.model import InterestMode
from lendcore.servicing import queries
from lendcore.servicing.model import LoanTerms, PrepaymentMode
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.documents import pdftext
from tests.servicing.helpers import new_draw, repay, start_book

DAY0 = date(2026, 1, 5)
CHANNEL = ComplaintChannel("400-000-0000", "https://lender.example/complaints")


@pytest.fixture()
def book(engine: Engine) -> Engine:
    start_book(engine, DAY0)
    return engine


def _html(engine: Engine, loan_id: int, kind: str) -> str:
    return query(engine, render.loan_document, loan_id, kind, "html").content.decode("utf-8")


def _row(engine: Engine, loan_id: int) -> Any:
    with UnitOfWork(engine, read_only=True) as uow:
        return uow.conn.execute(select(loans).where(loans.c.id == loan_id)).one()


# --- reading the HTML by structure --------------------------------------------------------------
class _Figures(HTMLParser):
    """Every text node with the rate/fee element it sits in (``data-rate``/``data-fee``) and
    that element's inline font size; and the schedule table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[tuple[str, dict[str, str | None] | None]] = []
        self.marked: list[dict[str, str | None]] = []
        self.rows: list[list[str]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr", "meta"):
            return
        found = dict(attrs)
        self.stack.append((tag, found))
        self._skip += tag in ("style", "title")
        if "data-rate" in found or "data-fee" in found:
            self.marked.append(found)
        if tag == "tr":
            self.rows.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "hr", "meta"):
            return
        popped, _ = self.stack.pop()
        assert popped == tag, f"</{tag}> closes <{popped}>"
        self._skip -= tag in ("style", "title")

    def handle_data(self, data: str) -> None:
        if self._skip or not data.strip():
            return
        owner = next((a for _, a in reversed(self.stack)
                      if "data-rate" in a or "data-fee" in a), None)
        self.texts.append((data, owner))
        if any(t in ("td", "th") for t, _ in self.stack) and self.rows:
            self.rows[-1].append(data.strip())


def _figures(html: str) -> _Figures:
    parser = _Figures()
    parser.feed(html)
    parser.close()
    return parser


def _px(attrs: dict[str, str | None]) -> float:
    found = re.search(r"font-size:\s*([0-9.]+)px", attrs.get("style") or "")
    assert found, f"a rate or fee without its own font size: {attrs}"
    return float(found.group(1))


def _schedule_rows(html: str) -> list[list[str]]:
    """The rows of the schedule table (the table whose first header is 期次), body only."""
    rows = _figures(html).rows
    start = next(i for i, r in enumerate(rows) if r and r[0] == "期次")
    return [r for r in rows[start + 1:] if r and r[0].isdigit()]


# --- content: the loan's own terms -------------------------------------------------------------
def test_the_key_facts_state_the_loans_own_terms(book: Engine) -> None:
    loan_id = new_draw(book, 1_200_000, 12)
    row = _row(book, loan_id)
    html = _html(book, loan_id, "key-facts")
    apr = percent(Decimal(row.apr_nominal_ppb) / PPB)
    assert f'data-rate="apr" style="font-size: 28px">{apr}<' in html
    assert f">{percent(Decimal(row.annual_rate_ppb) / PPB)}<" in html
    assert f">{percent(Decimal(row.penalty_rate_ppb) / PPB)}<" in html
    assert "人民币 12,000.00 元" in html
    assert f"每期到期日后 {row.grace_days} 日内（含）足额还款的，不计罚息" in html
    assert '>24.00%<' in html  # the all-in cap in force on the start date
    assert "不收取提前还款费用" in html and "每期还款额不变，缩短还款期限" in html
    assert "征信" in html and "首次报送不良信息前我们会通知您" in html
    assert "400-000-0000" in html and "https://lender.example/complaints" in html
    assert "contract-2026.12" in html


def test_the_documents_schedule_is_the_loans_schedule_to_the_fen(book: Engine) -> None:
    loan_id = new_draw(book, 1_234_567, 12)
    schedule = query(book, queries.schedule, loan_id)
    expected = [[str(i.number), f"{i.due_date.year}年{i.due_date.month}月{i.due_date.day}日",
                 yuan(i.principal_fen), yuan(i.interest_fen), yuan(i.fee_fen),
                 yuan(i.principal_fen + i.interest_fen + i.fee_fen)]
                for i in schedule.installments]
    assert len(expected) == 12
    for kind in ("contract", "key-facts"):
        assert _schedule_rows(_html(book, loan_id, kind)) == expected, kind
    # Grouped yuan: the principal column sums to the loan, shown as 12,345.67.
    assert sum(i.principal_fen for i in schedule.installments) == 1_234_567
    assert "12,345.67" in _html(book, loan_id, "contract")


def test_a_prepayment_does_not_rewrite_the_signed_schedule(book: Engine) -> None:
    loan_id = new_draw(book, 1_200_000, 12)
    before = _schedule_rows(_html(book, loan_id, "contract"))
    repay(book, loan_id, 600_000, "prepay-half")
    live = query(book, queries.schedule, loan_id).installments
    assert [i.principal_fen for i in live] != [  # the loan's own schedule did change
        int(r[2].replace(",", "").replace(".", "")) for r in before]
    assert _schedule_rows(_html(book, loan_id, "contract")) == before


def test_a_restructured_loan_keeps_its_opening_schedule_in_the_contract(book: Engine) -> None:
    from lendcore.servicing.service import restructure

    loan_id = new_draw(book, 1_200_000, 6)
    before = _schedule_rows(_html(book, loan_id, "contract"))
    with UnitOfWork(book) as uow:
        restructure(uow, loan_id, 24)
        uow.commit()
    assert _row(book, loan_id).installments_count == 24
    assert _schedule_rows(_html(book, loan_id, "contract")) == before
    assert len(before) == 6


def test_pay_any_time_says_daily_interest_and_no_prepayment_fee(book: Engine) -> None:
    loan_id = new_draw(book, 1_000_000, 12, method="pay-any-time")
    row = _row(book, loan_id)
    html = _html(book, loan_id, "contract")
    assert "随借随还" in html and "不收取提前还款违约金或任何费用" in html
    assert ">18.25%<" in html and ">0.05%<" in html  # 0.05%/day on ACT/365
    assert row.penalty_rate_ppb <= 240_000_000  # stored within the cap; shown as stored
    assert f">{percent(Decimal(row.penalty_rate_ppb) / PPB)}<" in html
    # One installment at maturity; the interest if held to maturity, by actual days:
    # 10,000 x 18.25% x 365/365 = 1,825.00.
    assert _schedule_rows(html) == [["1", "2027年1月5日", "10,000.00", "1,825.00", "0.00",
                                     "11,825.00"]]


def _flat_fee_facts(version: str = render.CURRENT_VERSION) -> LoanFacts:
    """The domain's worked example, 12,000 over 12 at a 0.6% flat fee per installment (the
    checkout product), through the same schedule function a loan opens with."""
    terms = LoanTerms(loan_id=3000001, principal_fen=1_200_000, installments=12,
                      method="flat-fee", start=DAY0, annual_rate_ppb=0,
                      penalty_rate_ppb=195_513_000, fee_rate_ppb=6_000_000,
                      day_count=DayCount.ACT_365, interest_mode=InterestMode.PER_PERIOD,
                      rounding=Rounding.HALF_UP)
    schedule = signed_schedule(terms)
    return LoanFacts(
        loan_id=3000001, customer_id=3, product_code="checkout-installment", kind="checkout",
        method="flat-fee", purpose="goods", payee="merchant:mi-mall", merchant_id="mi-mall",
        order_id="O-1", principal_fen=1_200_000, installments=12, start_date=DAY0,
        maturity_date=schedule[-1].due_date, apr_nominal_ppb=130_342_000, annual_rate_ppb=0,
        fee_rate_ppb=6_000_000, penalty_rate_ppb=195_513_000, day_count=DayCount.ACT_365,
        interest_mode=InterestMode.PER_PERIOD, grace_days=3,
        prepayment_mode=PrepaymentMode.SHORTEN, penalty_on_interest=False,
        all_in_cap=Decimal("0.24"), lpr_one_year=Decimal("0.03"), schedule=schedule,
        interest_estimated=False, contract_version=version)


def test_a_flat_fee_loan_shows_its_fee_and_the_apr_that_includes_it() -> None:
    html = render.render_html("key-facts", _flat_fee_facts(), CHANNEL)
    assert '<strong data-rate="apr" style="font-size: 28px">13.0342%</strong>' in html
    assert ">0.60%<" in html  # the fee per installment, on the principal
    rows = _schedule_rows(html)
    assert rows[0] == ["1", "2026年2月5日", "1,000.00", "0.00", "72.00", "1,072.00"]
    assert all(r[4] == "72.00" and r[5] == "1,072.00" for r in rows)
    assert "人民币 12,864.00 元" in html  # 12 x 1,072
    contract = render.render_html("contract", _flat_fee_facts(), CHANNEL)
    assert "款项由贷款人直接支付给商户" in contract and "O-1" in contract
    assert ">3.00%<" in contract  # the one-year LPR at contract date


# --- prominence: the annual rate first, never smaller -------------------------------------------
@pytest.mark.parametrize("kind", ["contract", "key-facts"])
def test_the_annual_rate_is_the_first_rate_and_no_rate_or_fee_is_larger(kind: str) -> None:
    html = render.render_html(kind, _flat_fee_facts(), CHANNEL)
    figures = _figures(html)
    with_percent = [(text, owner) for text, owner in figures.texts if "%" in text]
    # Every percentage in the document is a marked rate (none escapes the check below) ...
    assert all(owner is not None and "data-rate" in owner for _, owner in with_percent)
    # ... the first of them is the annual rate ...
    first_text, first = with_percent[0]
    assert first is not None and first["data-rate"] == "apr" and first_text == "13.0342%"
    # ... and no rate or fee is shown in a larger font.
    apr_px = _px(first)
    others = [m for m in figures.marked if m is not first]
    assert {m.get("data-rate") for m in others} >= {"contract", "fee", "penalty", "cap"}
    assert all(_px(m) <= apr_px for m in others)
    assert max(_px(m) for m in others) < apr_px  # strictly the most prominent here


@pytest.mark.parametrize("kind", ["contract", "key-facts"])
def test_the_pdf_says_the_same_with_the_annual_rate_first_and_largest(kind: str) -> None:
    facts = _flat_fee_facts()
    pdf = render.render(kind, "pdf", facts, CHANNEL).content
    assert pdf.startswith(b"%PDF-")
    runs = pdftext.runs(pdf)
    text = pdftext.text(pdf)
    assert ("借款合同" if kind == "contract" else "借款关键信息摘要") in text
    for phrase in ("年化利率", "13.0342%", "1,072.00", "24.00%", "征信", "400-000-0000"):
        assert phrase in text, phrase
    rates = [(size, t) for size, t in runs if "%" in t]
    assert rates[0] == (21.0, "13.0342%")  # 28px: the first percentage drawn
    assert all(size <= 21.0 for size, _ in rates)
    if kind == "key-facts":  # one page for a 12-installment loan
        assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") == 1
    # Deterministic: the same loan renders the same bytes.
    assert render.render(kind, "pdf", facts, CHANNEL).content == pdf


def test_a_long_schedule_continues_on_the_next_page_under_its_header() -> None:
    from dataclasses import replace

    terms = LoanTerms(loan_id=3000001, principal_fen=1_200_000, installments=24,
                      method="flat-fee", start=DAY0, annual_rate_ppb=0,
                      penalty_rate_ppb=195_513_000, fee_rate_ppb=6_000_000)
    schedule = signed_schedule(terms)
    facts = replace(_flat_fee_facts(), installments=24, schedule=schedule,
                    maturity_date=schedule[-1].due_date)
    pdf = render.render("contract", "pdf", facts, CHANNEL).content
    pages = pdftext.page_runs(pdf)
    assert len(pages) == 2
    headers = [n for n, page in enumerate(pages) if any(t == "期次" for _, t in page)]
    assert headers == [0, 1]  # the header row is repeated where the table goes on
    text = pdftext.text(pdf)
    assert "2028年1月5日" in text  # the 24th due date
    assert "13,728.00" in text and "1,728.00" in text  # 12,000 + 24 x 72 of fees


# --- versions ------------------------------------------------------------------------------------
def test_a_new_loan_stores_the_current_version_and_the_table_default_is_it(book: Engine) -> None:
    loan_id = new_draw(book, 500_000, 3)
    assert _row(book, loan_id).contract_version == render.CURRENT_VERSION
    assert loans.c.contract_version.server_default.arg == render.CURRENT_VERSION
    migration = Path(render.__file__).parents[1] / "store/migrations/versions"
    text = (migration / "0019_contract_version.py").read_text("utf-8")
    assert f"server_default='{render.CURRENT_VERSION}'" in text
    assert render.CURRENT_VERSION in render.KEPT_VERSIONS
    # Every kept version renders both documents with every value it reads.
    for version in render.KEPT_VERSIONS:
        for kind in render.KINDS:
            assert version in render.render_html(kind, _flat_fee_facts(version), CHANNEL)


def test_a_loan_renders_its_stored_version_not_the_current_one(
        book: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = new_draw(book, 500_000, 3), new_draw(book, 600_000, 3)
    folder = tmp_path / "contract-2025.01"
    folder.mkdir()
    (folder / "contract.html").write_text(
        "<html><body><h1>借款合同（旧版）</h1><p>年化利率 "
        '<strong data-rate="apr" style="font-size: 28px">{{ apr }}</strong></p>'
        "<p>{{ principal }} {{ version }}</p></body></html>", "utf-8")
    env = Environment(loader=ChoiceLoader([FileSystemLoader(str(tmp_path)),
                                           PackageLoader("lendcore.documents", "templates")]),
                      autoescape=True, undefined=StrictUndefined)
    monkeypatch.setattr(render, "_ENV", env)
    monkeypatch.setattr(render, "KEPT_VERSIONS", (*render.KEPT_VERSIONS, "contract-2025.01"))
    with UnitOfWork(book) as uow:
        uow.conn.execute(update(loans).where(loans.c.id == old)
                         .values(contract_version="contract-2025.01"))
        uow.commit()
    old_html = _html(book, old, "contract")
    assert "借款合同（旧版）" in old_html and "5,000.00 contract-2025.01" in old_html
    new_html = _html(book, new, "contract")
    assert "借款合同（旧版）" not in new_html and "第一条" in new_html
    assert render.CURRENT_VERSION in new_html


def test_a_loan_naming_a_version_that_is_not_kept_is_refused(book: Engine) -> None:
    loan_id = new_draw(book, 500_000, 3)
    with UnitOfWork(book) as uow:
        uow.conn.execute(update(loans).where(loans.c.id == loan_id)
                         .values(contract_version="contract-1999.01"))
        uow.commit()
    with pytest.raises(Conflict) as refused:
        _html(book, loan_id, "key-facts")
    assert refused.value.field == "contract_version"
    assert refused.value.code == "unknown_contract_version"


# --- inputs and configuration -------------------------------------------------------------------
def test_an_unknown_format_or_document_is_refused_naming_the_field(book: Engine) -> None:
    loan_id = new_draw(book, 500_000, 3)
    with pytest.raises(InvalidInput) as bad_format:
        query(book, render.loan_document, loan_id, "contract", "docx")
    assert bad_format.value.field == "format"
    with pytest.raises(InvalidInput) as bad_kind:
        query(book, render.loan_document, loan_id, "invoice", "html")
    assert bad_kind.value.field == "kind"


def test_the_complaint_channel_is_configurable_and_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COMPLAINT_PHONE_ENV, raising=False)
    monkeypatch.delenv(COMPLAINT_URL_ENV, raising=False)
    assert complaint_channel() == CHANNEL  # the documented placeholders
    monkeypatch.setenv(COMPLAINT_PHONE_ENV, "95188")
    monkeypatch.setenv(COMPLAINT_URL_ENV, "https://www.lender.cn/kefu?from=contract")
    channel = complaint_channel()
    html = render.render_html("key-facts", _flat_fee_facts(), channel)
    assert "95188" in html and "https://www.lender.cn/kefu?from=contract" in html
    monkeypatch.setenv(COMPLAINT_URL_ENV, "javascript:alert(1)")
    with pytest.raises(ConfigurationError) as refused:
        complaint_channel()
    assert refused.value.field == COMPLAINT_URL_ENV
    monkeypatch.setenv(COMPLAINT_URL_ENV, "https://ok.example/")
    monkeypatch.setenv(COMPLAINT_PHONE_ENV, "call us")
    with pytest.raises(ConfigurationError) as refused:
        complaint_channel()
    assert refused.value.field == COMPLAINT_PHONE_ENV


def test_the_facts_read_the_stored_lpr_when_the_loan_has_one(book: Engine) -> None:
    loan_id = new_draw(book, 500_000, 3)
    with UnitOfWork(book) as uow:
        uow.conn.execute(update(loans).where(loans.c.id == loan_id)
                         .values(lpr_one_year_ppb=31_000_000))
        uow.commit()
    facts = query(book, loan_facts, loan_id)
    assert facts.lpr_one_year == Decimal("0.031")
    assert ">3.10%<" in _html(book, loan_id, "contract")


def test_money_is_grouped_yuan_and_rates_are_percentages() -> None:
    assert [yuan(f) for f in (0, 7, 91_799, 1_200_000, 123_456_789_01)] == [
        "0.00", "0.07", "917.99", "12,000.00", "123,456,789.01"]
    assert [percent(Decimal(r)) for r in ("0.130342", "0.1825", "0.24", "0.0005", "0")] == [
        "13.0342%", "18.25%", "24.00%", "0.05%", "0.00%"]
