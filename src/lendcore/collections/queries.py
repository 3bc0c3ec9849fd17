"""Read models for cases: lists and details, amounts shown by role (bands or exact)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import RowMapping, select

from lendcore.collections import store
from lendcore.collections.cases import Role, show_amount
from lendcore.collections.config import BUCKETS
from lendcore.collections.plan_service import plan_dict
from lendcore.errors import InvalidInput
from lendcore.store.collections_tables import (
    collection_case_history,
    collection_cases,
    collection_contacts,
    collection_plans,
    collection_promises,
)
from lendcore.store.uow import UnitOfWork

AMOUNT_FIELDS = ("overdue_principal_fen", "overdue_interest_fen", "overdue_fee_fen",
                 "penalty_fen")


def case_dict(uow: UnitOfWork, row: RowMapping, role: Role) -> dict[str, Any]:
    amounts = {k.removesuffix("_fen"): show_amount(int(row[k]), role) for k in AMOUNT_FIELDS}
    total = sum(int(row[k]) for k in AMOUNT_FIELDS)
    amounts["overdue_total"] = show_amount(total, role)
    agency = store.agency_code_of(uow.conn, row["agency_id"])
    return {
        "id": int(row["id"]), "customer_id": int(row["customer_id"]), "status": row["status"],
        "bucket": row["bucket"], "max_dpd": int(row["max_dpd"]),
        "amounts": amounts, "amounts_shown_as": "exact" if role is Role.SUPERVISOR else "band",
        "assignee": {"kind": row["assignee_kind"], "agency": agency},
        "next_action": row["next_action"],
        "borrower_unreachable": bool(row["borrower_unreachable"]),
        "outsourcing_notice_on": _iso(row["outsourcing_notice_on"]),
        "broken_promises": int(row["broken_promises"]),
        "opened_on": _iso(row["opened_on"]), "closed_on": _iso(row["closed_on"]),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def list_cases(uow: UnitOfWork, *, bucket: str | None = None, status: str | None = "open",
               role: Role = Role.COLLECTOR) -> list[dict[str, Any]]:
    query = select(collection_cases).order_by(collection_cases.c.id)
    if bucket is not None:
        if bucket not in BUCKETS:
            raise InvalidInput(f"unknown bucket {bucket!r}; accepted M0..M7", field="bucket")
        query = query.where(collection_cases.c.bucket == bucket)
    if status is not None:
        if status not in ("open", "closed"):
            raise InvalidInput("accepted: open, closed", field="status")
        query = query.where(collection_cases.c.status == status)
    return [case_dict(uow, row, role) for row in uow.conn.execute(query).mappings()]


def case_detail(uow: UnitOfWork, case_id: int, role: Role = Role.COLLECTOR) -> dict[str, Any]:
    conn = uow.conn
    row = store.case_row(conn, case_id)
    out = case_dict(uow, row, role)
    exact = role is Role.SUPERVISOR
    out["history"] = [
        {"business_date": h["business_date"].isoformat(), "event": h["event"],
         "status": h["status"], "bucket": h["bucket"], "next_action": h["next_action"],
         "overdue_total": show_amount(int(h["overdue_total_fen"]), role),
         "detail": json.loads(h["detail_json"])}
        for h in conn.execute(select(collection_case_history).where(
            collection_case_history.c.case_id == case_id)
            .order_by(collection_case_history.c.id)).mappings()]
    out["contacts"] = [
        {"id": c["id"], "allowed": c["allowed"], "reasons": json.loads(c["reasons_json"]),
         "channel": c["channel"], "to": c["target"],
         "at": store.as_utc(c["at_utc"]).isoformat(), "local_date": c["local_date"].isoformat(),
         "collector_id": c["collector_id"], "outcome": c["outcome"],
         "recording_ref": c["recording_ref"], "retain_until": c["retain_until"].isoformat()}
        for c in conn.execute(select(collection_contacts).where(
            collection_contacts.c.case_id == case_id).order_by(collection_contacts.c.id))
        .mappings()]
    out["promises"] = [
        {"id": p["id"], "promised_on": p["promised_on"].isoformat(), "status": p["status"],
         "amount": show_amount(int(p["amount_fen"]), role)}
        for p in conn.execute(select(collection_promises).where(
            collection_promises.c.case_id == case_id).order_by(collection_promises.c.id))
        .mappings()]
    out["plans"] = [plan_dict(p) if exact else {"id": p["id"], "status": p["status"],
                                                "loan_id": p["loan_id"]}
                    for p in conn.execute(select(collection_plans).where(
                        collection_plans.c.case_id == case_id)
                        .order_by(collection_plans.c.id)).mappings()]
    return out
