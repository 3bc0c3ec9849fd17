"""The report's charts: matplotlib figures rendered to SVG text, to inline in one HTML page.

Each function takes report data and returns an ``<svg>`` string (no files, no fonts to ship:
text stays text and uses the browser's fonts; labels are ASCII so matplotlib's own font can
measure them). Amounts are
converted from fen to 10,000 CNY (万元) only here, for drawing axes; the tables print exact yuan.
SVG ids and metadata are fixed so the same data gives the same bytes.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

plt.rcParams.update({
    "svg.fonttype": "none", "svg.hashsalt": "lendcore-demo", "font.size": 9,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "grid.alpha": 0.25, "axes.titleweight": "bold", "axes.titlesize": 10,
    "font.family": ["DejaVu Sans"],
})
BUCKET_COLOURS = ("#2e7d32", "#9ccc65", "#ffee58", "#ffb300", "#fb8c00", "#e64a19",
                  "#c62828", "#6a1b9a")
WAN_FEN = 1_000_000  # 10,000 CNY in fen


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def approval_by_band(bands: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.2))
    names = [b["band"] for b in bands]
    bottom = [0] * len(bands)
    for key, label, colour in (("approve", "approved", "#2e7d32"),
                               ("refer", "referred, not approved", "#ffb300"),
                               ("decline", "declined", "#bdbdbd")):
        values = [b[key] for b in bands]
        ax.bar(names, values, bottom=bottom, color=colour, label=label)
        bottom = [a + v for a, v in zip(bottom, values, strict=True)]
    ax.set_ylabel("applications")
    ax.set_title("Applications by score band")
    rate = ax.twinx()
    rate.plot(names, [100 * b["approval_rate"] for b in bands], "o-", color="#1565c0",
              label="approval rate")
    rate.set_ylim(0, 105)
    rate.set_ylabel("approved %")
    rate.grid(False)
    ax.legend(loc="upper left", frameon=False)
    ax.tick_params(axis="x", labelrotation=20)
    return _svg(fig)


def book_by_bucket(days: list[date], book: list[dict[str, int]]) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.4))
    buckets = list(book[0]) if book else []
    series = [[row[b] / WAN_FEN for row in book] for b in buckets]
    ax.stackplot(days, series, labels=buckets,  # type: ignore[arg-type]
                 colors=BUCKET_COLOURS[:len(buckets)])
    ax.set_ylabel("principal outstanding, 10,000 CNY")
    ax.set_title("Book by bucket (M7 = charged off, still owed)")
    ax.legend(loc="upper left", ncol=4, frameon=False, fontsize=8)
    fig.autofmt_xdate()
    return _svg(fig)


def roll_rates(roll: dict[str, dict[str, int]]) -> str:
    rows = list(roll)
    cols = list(next(iter(roll.values()))) if roll else []
    shares = []
    for r in rows:
        total = sum(roll[r].values())
        shares.append([roll[r][c] / total if total else 0.0 for c in cols])
    fig, ax = plt.subplots(figsize=(9, 3.4))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    ax.grid(False)
    for i, row in enumerate(shares):
        for j, value in enumerate(row):
            if value >= 0.005:
                ax.text(j, i, f"{100 * value:.0f}%", ha="center", va="center", fontsize=8,
                        color="white" if value > 0.5 else "black")
    ax.set_xlabel("30 days later")
    ax.set_ylabel("bucket now")
    ax.set_title("Roll rates over 30 days (share of loans in the row's bucket)")
    return _svg(fig)


def vintages(curves: dict[str, list[tuple[int, float]]]) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.2))
    for month, curve in curves.items():
        ax.plot([m for m, _ in curve], [100 * s for _, s in curve], marker=".", label=month)
    ax.set_xlabel("months on book")
    ax.set_ylabel("loans ever 30+ DPD, %")
    ax.set_title("Vintage curves by disbursement month")
    ax.legend(frameon=False, fontsize=8, ncol=2)
    return _svg(fig)


def money(months: list[str], series: dict[str, list[int]]) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.4))
    width = 0.2
    income = ("interest", "penalty", "fee", "recovery")
    colours = ("#1565c0", "#ef6c00", "#6a1b9a", "#2e7d32")
    for k, (name, colour) in enumerate(zip(income, colours, strict=True)):
        xs = [i + (k - 1.5) * width for i in range(len(months))]
        ax.bar(xs, [v / WAN_FEN for v in series.get(name, [])], width, label=name, color=colour)
    for name, style in (("provisions", "s--"), ("charge-offs", "x-")):
        ax.plot(range(len(months)), [-v / WAN_FEN for v in series.get(name, [])], style,
                color="#c62828" if name == "charge-offs" else "#757575", label=f"{name} (-)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(range(len(months)), months)
    ax.set_ylabel("10,000 CNY")
    ax.set_title("Income by month; provisions and charge-offs below zero")
    ax.legend(frameon=False, fontsize=8, ncol=3)
    return _svg(fig)


def refusals(contacts: dict[str, Any]) -> str:
    reasons = contacts["refused_by_reason"][::-1]
    fig, ax = plt.subplots(figsize=(9, 0.4 * max(len(reasons), 3) + 1))
    ax.barh([r for r, _ in reasons], [n for _, n in reasons], color="#c62828")
    for y, (_, n) in enumerate(reasons):
        ax.text(n, y, f" {n}", va="center", fontsize=8)
    ax.set_xlabel("contacts refused (a contact may break several rules)")
    ax.set_title(f"Collections: {contacts['allowed']} contacts allowed, "
                 f"{contacts['refused']} refused by the guard")
    return _svg(fig)


def product_rates(products: list[dict[str, Any]], cap: float = 24.0) -> str:
    fig, ax = plt.subplots(figsize=(9, 3.0))
    for product, marker in zip(products, "os^D", strict=False):
        terms = product["terms"]
        ax.plot([t["installments"] for t in terms], [_percent(t["apr_nominal"]) for t in terms],
                marker=marker, label=product["code"])
    ax.axhline(cap, color="#c62828", linestyle="--", label="24% all-in cap (rule)")
    ax.axhline(20.0, color="#ffb300", linestyle=":", label="20% target (policy)")
    ax.set_xlabel("installments")
    ax.set_ylabel("APR, simple (nominal), %")
    ax.set_ylim(0, cap + 3)
    ax.set_title("Disclosed annual rate (IRR, nominal) of every product and term")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return _svg(fig)


def _percent(text: str) -> float:
    return float(text.rstrip("%")) if text.endswith("%") else 100 * float(text)
