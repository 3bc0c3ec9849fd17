"""Complaints in storage: intake, complex, extension (approved), resolution, the worklist.

A complaint is received and resolved on the server's business date (``clock.business_date``),
and the worklist is as of that date: nobody chooses the day a complaint's deadline counts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, RowMapping, insert, select, update

from lendcore.clock import business_date
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


@dataclass(frozen=True, slots=True)
class Complaint:
    complaint_id: int
    customer_id: int
    case_id: int | None
    channel: str
    summary: str
    complex: bool
    received_on: date
    deadline: date
    extended_days: int | None
    extension_approved_by: str | None
    extension_reason: str | None
    status: str  # open | resolved
    resolved_on: date | None
    resolution: str | None
    overdue: bool  # open and past its deadline on the business date


def open_complaint(uow: UnitOfWork, customer_id: int, *, channel: str, summary: str,
                   complex_: bool = False, config: CollectionsConfig | None = None) -> Complaint:
    """Take a complaint from any channel today; it is linked to the borrower's case if there
    is one."""
    cfg = config or default_config()
    conn = uow.conn
    received_on = business_date(conn)
    if conn.execute(select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
        raise NotFound(f"no customer {customer_id}", field="customer_id")
    if not summary.strip():
        raise InvalidInput("what the complaint is about", field="summary")
    case_id = conn.execute(select(collection_cases.c.id)
                           .where(collection_cases.c.customer_id == customer_id)).scalar()
    deadline = complaint_deadline(received_on, complex_=complex_, extended_days=None, config=cfg)
    complaint_id = store.insert_id(conn, insert(collection_complaints).values(
        customer_id=customer_id, case_id=case_id, channel=check_channel(channel),
        received_on=received_on, summary=summary, complex=complex_, deadline=deadline,
        status="open"))
    return _read(conn, complaint_id, received_on)


def _read(conn: Connection, complaint_id: int, today: date) -> Complaint:
    row = conn.execute(select(collection_complaints).where(
        collection_complaints.c.id == complaint_id)).mappings().one()
    return _complaint_value(row, today)


def _complaint(uow: UnitOfWork, complaint_id: int) -> RowMapping:
    row = uow.conn.execute(select(collection_complaints).where(
        collection_complaints.c.id == complaint_id).with_for_update()).mappings().first()
    if row is None:
        raise NotFound(f"no complaint {complaint_id}", field="complaint_id")
    if row["status"] != "open":
        raise Conflict(f"complaint {complaint_id} is {row['status']}", field="complaint_id")
    return row


def mark_complex(uow: UnitOfWork, complaint_id: int, *,
                 config: CollectionsConfig | None = None) -> Complaint:
    cfg = config or default_config()
    row = _complaint(uow, complaint_id)
    deadline = complaint_deadline(row["received_on"], complex_=True,
                                  extended_days=row["extended_days"], config=cfg)
    uow.conn.execute(update(collection_complaints).where(collection_complaints.c.id ==
                                                         complaint_id)
                     .values(complex=True, deadline=deadline))
    return _read(uow.conn, complaint_id, business_date(uow.conn))


def extend_complaint(uow: UnitOfWork, complaint_id: int, *, days: int, approved_by: str,
                     reason: str, config: CollectionsConfig | None = None) -> Complaint:
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
    return _read(uow.conn, complaint_id, business_date(uow.conn))


def resolve_complaint(uow: UnitOfWork, complaint_id: int, *, resolution: str) -> Complaint:
    """The complaint is decided today."""
    today = business_date(uow.conn)
    row = _complaint(uow, complaint_id)
    if not resolution.strip():
        raise InvalidInput("how the complaint was decided", field="resolution")
    if today < row["received_on"]:  # the business date never moves back: a defect
        raise RuntimeError(f"complaint {complaint_id} was received after today {today}")
    uow.conn.execute(update(collection_complaints).where(collection_complaints.c.id ==
                                                         complaint_id).values(
        status="resolved", resolved_on=today, resolution=resolution))
    return _read(uow.conn, complaint_id, today)


def list_complaints(conn: Connection, *, include_resolved: bool = False,
                    limit: int | None = None) -> list[Complaint]:
    """The worklist as of the business date: open complaints past their deadline first, then
    by deadline (at most ``limit``)."""
    today = business_date(conn)
    query = select(collection_complaints)
    if not include_resolved:
        query = query.where(collection_complaints.c.status == "open")
    rows = {int(r["id"]): r for r in conn.execute(query).mappings()}
    order = worklist_order([ComplaintRow(i, str(r["status"]), r["deadline"])
                            for i, r in rows.items()], today)
    return [_complaint_value(rows[c.id], today) for c in order[:limit]]


def _complaint_value(row: RowMapping, today: date) -> Complaint:
    return Complaint(
        complaint_id=int(row["id"]), customer_id=int(row["customer_id"]),
        case_id=None if row["case_id"] is None else int(row["case_id"]),
        channel=str(row["channel"]), summary=str(row["summary"]), complex=bool(row["complex"]),
        received_on=row["received_on"], deadline=row["deadline"],
        extended_days=row["extended_days"], extension_approved_by=row["extension_approved_by"],
        extension_reason=row["extension_reason"], status=str(row["status"]),
        resolved_on=row["resolved_on"], resolution=row["resolution"],
        overdue=is_overdue(ComplaintRow(int(row["id"]), str(row["status"]), row["deadline"]),
                           today))
