"""The full report as one self-contained HTML page (``report/index.html``).

No server, no CDN, no script: styles are inline and every chart is an inline ``<svg>`` from
``charts.py``. Money is printed as exact yuan strings (``format_yuan``), rates as percentages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from lendcore.money import format_yuan
from lendcore_tools.demo import charts
from lendcore_tools.demo.report import Report

STYLE = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
margin:0;background:#f5f6f8;color:#1f2933}
header{background:#0d3b66;color:#fff;padding:24px 40px}
header h1{margin:0 0 6px;font-size:24px} header p{margin:0;opacity:.85}
main{max-width:1060px;margin:0 auto;padding:24px 40px}
section{background:#fff;border-radius:8px;padding:18px 24px;margin:0 0 20px;
box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:17px;margin:0 0 10px;color:#0d3b66} p.note{color:#52606d;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:4px 10px;border-bottom:1px solid #e4e7eb;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f0f4f8}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#f0f4f8;border-radius:6px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px;color:#0d3b66} .card span{font-size:12px;color:#52606d}
.ok{color:#2e7d32;font-weight:bold} .bad{color:#c62828;font-weight:bold}
.chart svg{max-width:100%;height:auto}
"""


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    th = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _section(title: str, *parts: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def _chart(svg: str) -> str:
    return f'<div class="chart">{svg}</div>'


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def grouped_yuan(fen: int) -> str:
    """``format_yuan`` with thousands separators: 1,313,981.00."""
    whole, _, cents = format_yuan(fen).partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{cents}"


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _cards(report: Report) -> str:
    h = report.headline
    items = [(h["customers"], "applicants"), (h["approved"], "customers approved"),
             (h["loans"], "loans"), (grouped_yuan(h["disbursed_fen"]), "CNY lent"),
             *((v, k) for k, v in report.events.items())]
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{escape(str(v))}</b><span>{escape(k)}</span></div>'
        for v, k in items) + "</div>"


def _overview(report: Report) -> str:
    h = report.headline
    return _section(
        "What happened", _cards(report),
        _note(f"{h['days']} business days from {h['first_day']} to {h['last_day']}, seed "
              f"{h['seed']}, on {h['database']}; nightly run: {h['nightly']}. Run time "
              f"{h['seconds']} s, of which the nightly run {h['nightly_seconds']} s. Buckets "
              f"reached: {', '.join(report.reached)}."))


def _decisions(report: Report) -> str:
    rows = [(b["band"], b["applications"], b["approve"], b["refer"], b["decline"],
             _pct(b["approval_rate"])) for b in report.bands]
    return _section(
        "Applications and approval rate by score band",
        _chart(charts.approval_by_band(report.bands)),
        _table(("score band", "applications", "approved", "referred, not approved",
                "declined", "approval rate"), rows),
        _note("Referred applications (460-479) go to a person (PIPL Art. 24); those the "
              "reviewer approved count as approved. Declines above the cut-off failed an "
              "eligibility rule (debt-to-income, ecosystem record, ...). First decline reasons:"),
        _table(("reason", "applicants"), report.decline_reasons))


def _book(report: Report) -> str:
    last = report.book[-1] if report.book else {}
    rows = [(b, grouped_yuan(v)) for b, v in last.items()]
    return _section("Book by bucket over time",
                    _chart(charts.book_by_bucket(report.book_days, report.book)),
                    _note("Principal outstanding on the last day, CNY:"),
                    _table(("bucket", "principal"), rows))


def _roll(report: Report) -> str:
    cols = list(next(iter(report.roll.values()))) if report.roll else []
    rows = [(b, *(report.roll[b][c] for c in cols)) for b in report.roll]
    return _section("Roll rates between buckets", _chart(charts.roll_rates(report.roll)),
                    _note("Loans counted at each 30-day mark and again 30 days later."),
                    _table(("from \\ to", *cols), rows))


def _vintage(report: Report) -> str:
    return _section("Vintage curves: 30+ DPD by disbursement month",
                    _chart(charts.vintages(report.vintages)),
                    _note("Share of each month's loans that were ever more than 30 days past "
                          "due, by months on book; months with fewer than 5 loans are left out."))


def _money(report: Report) -> str:
    rows = [(m, *(grouped_yuan(report.money[k][i]) for k in report.money))
            for i, m in enumerate(report.money_months)]
    rows.append(("total", *(grouped_yuan(v) for v in report.money_totals.values())))
    return _section("Income, provisions and charge-offs",
                    _chart(charts.money(report.money_months, report.money)),
                    _table(("month", *report.money), rows),
                    _note("From the journal: income accounts net of reversals; provisions are "
                          "the change of the loan-loss allowance the nightly run posts."))


def _collections(report: Report) -> str:
    c = report.contacts
    return _section(
        "Collections contacts allowed and refused",
        _chart(charts.refusals(c)),
        _table(("channel", "allowed contacts"), sorted(c["allowed_by_channel"].items())),
        _table(("refused because", "contacts"), c["refused_by_reason"]),
        _note("Every contact was proposed to the compliance guard first; some broke the rules "
              "on purpose (22:30 calls, a 4th call, threats, emergency contacts told about "
              "the debt) to show the refusals."))


def _products(report: Report) -> str:
    rows = [(p["code"], t["installments"], t["method"], t["contract_rate_annual"] or "-",
             t["fee_rate_per_installment"], t["apr_nominal"], t.get("penalty_rate_annual", "-"))
            for p in report.products for t in p["terms"]]
    return _section("Annual rate of every product, as disclosed",
                    _chart(charts.product_rates(report.products)),
                    _table(("product", "installments", "method", "contract rate a year",
                            "fee per installment", "APR 单利 (IRR)", "penalty rate a year"),
                           rows))


def _ledger(report: Report) -> str:
    verdict = ('<p class="ok">Ledger audit passed: trial balance zero, every entry balanced, '
               'loan sub-ledger equal to the control accounts.</p>' if not report.audit else
               f'<p class="bad">Ledger audit found {len(report.audit)} problem(s).</p>'
               + _table(("code", "detail"), ((p["code"], p["detail"]) for p in report.audit)))
    rows = [(t["code"], t["name"], grouped_yuan(t["debit_fen"]), grouped_yuan(t["credit_fen"]))
            for t in report.trial_balance]
    return _section("Ledger audit", verdict, _table(("account", "", "debit", "credit"), rows))


def render(report: Report) -> str:
    h = report.headline
    body = "".join(f(report) for f in (_overview, _decisions, _book, _roll, _vintage, _money,
                                       _collections, _products, _ledger))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>lendcore demo report</title><style>{STYLE}</style></head><body>"
            f"<header><h1>lendcore: a consumer-credit book, simulated</h1>"
            f"<p>{h['customers']} applicants over {h['days']} days, seed {h['seed']}</p>"
            f"</header><main>{body}</main></body></html>")


def write(report: Report, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "index.html"
    path.write_text(render(report), encoding="utf-8")
    return path
