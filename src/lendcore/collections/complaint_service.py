"""Complaints in storage: intake, complex, extension (approved), resolution, the worklist."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import RowMapping, insert, select, update

from lendcore.collections import store
from lendcore.collections.complaints import (
    ComplaintRow,
    check_channel,
    check_extension,
    complaint_deadline,
    is_overdue,
    worklist_order,
)
from lendcore.collections.config import CollectionsConfig, default_config
from lendcore.errors import Conflict, InvalidInput, NotFound
from lendcore.store.collections_tables import collection_cases, collection_complaints
from lendcore.store.core_tables import customers
from lendcore.store.uow import UnitOfWork


def open_complaint(uow: UnitOfWork, customer_id: int, *, channel: str, received_on: date,
                   summary: str, complex_: bool = False,
                   config: CollectionsConfig | None = None) -> int:
    """Take a complaint from any channel; it is linked to the borrower's case if there is one."""
    cfg = config or default_config()
    conn = uow.conn
    if conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
        raise NotFound(f"no customer {customer_id}", field="customer_id")
    if not summary.strip():
        raise InvalidInput("what the complaint is about", field="summary")
    case_id = conn.execute(select(collection_cases.c.id)
                           .where(collection_cases.c.customer_id == customer_id)).scalar()
    deadline = complaint_deadline(received_on, complex_=complex_, extended_days=None, config=cfg)
    return store.insert_id(conn, insert(collection_complaints).values(
        customer_id=customer_id, case_id=case_id, channel=check_channel(channel),
        received_on=received_on, summary=summary.strip(), complex=complex_, deadline=deadline,
        status="open"))


def _complaint(uow: UnitOfWork, complaint_id: int) -> RowMapping:
    row = uow.conn.execute(select(collection_complaints).where(
        collection_complaints.c.id == complaint_id).with_for_update()).mappings().first()
    if row is None:
        raise NotFound(f"no complaint {complaint_id}", field="complaint_id")
    if row["status"] != "open":
        raise Conflict(f"complaint {complaint_id} is {row['status']}", field="complaint_id")
    return row


def mark_complex(uow: UnitOfWork, complaint_id: int, *,
                 config: CollectionsConfig | None = None) -> date:
    cfg = config or default_config()
    row = _complaint(uow, complaint_id)
    deadline = complaint_deadline(row["received_on"], complex_=True,
                                  extended_days=row["extended_days"], config=cfg)
    uow.conn.execute(update(collection_complaints).where(collection_complaints.c.id ==
                                                         complaint_id)
                     .values(complex=True, deadline=deadline))
    return deadline


def extend_complaint(uow: UnitOfWork, complaint_id: int, *, days: int, approved_by: str,
                     reason: str, config: CollectionsConfig | None = None) -> date:
    cfg = config or default_config()
    row = _complaint(uow, complaint_id)
    current = (row["deadline"] - row["received_on"]).days
    check_extension(days, approved_by, reason, current, cfg)
    deadline = complaint_deadline(row["received_on"], complex_=bool(row["complex"]),
                                  extended_days=days, config=cfg)
    uow.conn.execute(update(collection_complaints).where(collection_complaints.c.id ==
                                                         complaint_id).values(
        extended_days=days, extension_approved_by=approved_by.strip(),
        extension_reason=reason.strip(), deadline=deadline))
    return deadline


def resolve_complaint(uow: UnitOfWork, complaint_id: int, *, resolved_on: date,
                      resolution: str) -> None:
    row = _complaint(uow, complaint_id)
    if not resolution.strip():
        raise InvalidInput("how the complaint was decided", field="resolution")
    if resolved_on < row["received_on"]:
        raise InvalidInput("a complaint is resolved after it is received", field="resolved_on")
    uow.conn.execute(update(collection_complaints).where(collection_complaints.c.id ==
                                                         complaint_id).values(
        status="resolved", resolved_on=resolved_on, resolution=resolution.strip()))


def list_complaints(uow: UnitOfWork, business_date: date, *,
                    include_resolved: bool = False) -> list[dict[str, Any]]:
    """The worklist: open complaints past their deadline first, then by deadline."""
    query = select(collection_complaints)
    if not include_resolved:
        query = query.where(collection_complaints.c.status == "open")
    rows = {int(r["id"]): r for r in uow.conn.execute(query).mappings()}
    order = worklist_order([ComplaintRow(i, str(r["status"]), r["deadline"])
                            for i, r in rows.items()], business_date)
    return [_complaint_dict(rows[c.id], is_overdue(c, business_date)) for c in order]


def _complaint_dict(row: RowMapping, overdue: bool) -> dict[str, Any]:
    out: dict[str, Any] = {k: row[k] for k in (
        "id", "customer_id", "case_id", "channel", "summary", "complex", "extended_days",
        "extension_approved_by", "extension_reason", "status", "resolution")}
    for k in ("received_on", "deadline", "resolved_on"):
        out[k] = row[k].isoformat() if row[k] else None
    out["overdue"] = overdue
    return out
