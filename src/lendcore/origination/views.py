"""Presenters: origination's domain values as the API and the CLI show them.

Money is a yuan string (``"20000.00"``), a rate a decimal fraction string (``"0.0002"`` a day,
``"0.073"`` a year), dates ISO text; reasons keep their order.

    >>> rate_text(Decimal("0.000200"))
    '0.0002'
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lendcore.money import format_yuan
from lendcore.origination.model import Decision
from lendcore.origination.reviews import DecisionRecord, Explanation, QueuedReview, ReviewRecord
from lendcore.origination.service import Decided
from lendcore.products.catalogue import load_catalogue
from lendcore.rates import AnnualRate


def rate_text(rate: Decimal | None) -> str | None:
    return None if rate is None else format(rate.normalize(), "f")


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format_yuan(fen)


def decision(d: Decision) -> dict[str, Any]:
    """A decision's outcome, reasons and terms."""
    return {
        "decision": d.outcome.value,
        "reasons": [r.as_dict() for r in d.reasons],
        "score": d.score,
        "limit": _yuan(d.limit_fen),
        "daily_rate": rate_text(d.daily_rate),
        "annual_rate": rate_text(d.annual_rate),
        "reapply_after": _iso(d.reapply_after),
    }


def decided(d: Decided) -> dict[str, Any]:
    """``POST /applications`` and ``lendcore apply --json``: the decision with its id and
    product, the business date and server time it was taken on, the customer (when known), on
    approval the line it opened, and ``reapply_after``: the first date a new application for
    the product is allowed."""
    return {"decision_id": d.decision_id, "product": d.product, **decision(d.decision),
            "decided_on": d.decided_on.isoformat(), "decided_at": d.decided_at.isoformat(),
            "customer_id": d.customer_id, "line_id": d.line_id}


def decided_line(out: dict[str, Any]) -> str:
    """The CLI's one-line summary of :func:`decided`'s answer."""
    parts = [f"decision {out['decision_id']} on {out['decided_on']}: {out['decision']} "
             f"{out.get('product', '')}".rstrip()]  # an answer stored before it named one
    if out["score"] is not None:
        parts.append(f"score {out['score']}")
    if out["limit"] is not None:
        parts.append(f"limit {out['limit']}")
    if out["daily_rate"] is not None:
        parts += [f"daily rate {out['daily_rate']}", f"annual rate {out['annual_rate']}"]
    if out["customer_id"] is not None:
        parts.append(f"customer {out['customer_id']}")
    if out["line_id"] is not None:
        parts.append(f"line {out['line_id']}")
    if out["reapply_after"] is not None:
        parts.append(f"apply again from {out['reapply_after']}")
    return "  ".join(parts)


def _annual(daily_rate: Decimal | None, product_code: str) -> Decimal | None:
    """A recorded daily rate annualised on its product's day count (the catalogue's)."""
    product = load_catalogue().get(product_code)
    if daily_rate is None or product is None:
        return None
    return AnnualRate.from_daily(daily_rate, product.day_count).annual


def decision_record(r: DecisionRecord) -> dict[str, Any]:
    annual = _annual(r.daily_rate, r.product)
    return {
        "decision_id": r.decision_id,
        "decided_on": r.decided_on.isoformat(),
        "decided_at": _iso(r.decided_at),
        "product": r.product,
        "decision": r.outcome,
        "reasons": [x.as_dict() for x in r.reasons],
        "score": r.score,
        "scorecard_version": r.scorecard_version,
        "limit": _yuan(r.limit_fen),
        "daily_rate": rate_text(r.daily_rate),
        "annual_rate": rate_text(annual),
        "reapply_after": _iso(r.reapply_after),
        "inputs": r.inputs,
        "customer_id": r.customer_id,
    }


def review(r: ReviewRecord) -> dict[str, Any]:
    return {"review_id": r.review_id, "decision_id": r.decision_id,
            "requested_on": r.requested_on.isoformat(), "requested_at": _iso(r.requested_at),
            "request_reason": r.request_reason, "status": r.status, "outcome": r.outcome,
            "reviewer": r.reviewer, "outcome_reason": r.outcome_reason,
            "decided_on": _iso(r.decided_on), "decided_at": _iso(r.decided_at)}


def explanation(e: Explanation) -> dict[str, Any]:
    """``GET /decisions/{id}``: the record and its reviews."""
    return {**decision_record(e.decision), "reviews": [review(r) for r in e.reviews]}


def queue(items: list[QueuedReview]) -> list[dict[str, Any]]:
    """``GET /reviews``: each open review with its decision."""
    return [{**review(q.review), "decision": decision_record(q.decision)} for q in items]
