"""Outsourcing and reachability: agencies with their yearly review, the notice a borrower gets
before a case goes to an agency, assigning a case, and marking a borrower (un)reachable (the only
state in which an emergency contact may be asked to pass on a request to get in touch).

Every date here is the server's business date (``clock.business_date``): a notice is sent, a case
assigned, an agency reviewed *today*. The one date a caller gives is an agency's last review when
it is registered, a fact from before it came to us, never after the business date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select, update

from lendcore.clock import business_date
from lendcore.collections import store
from lendcore.collections.config import AssigneeKind, Channel, CollectionsConfig, default_config
from lendcore.collections.strategy import agency_accepts_new_cases, agency_review_due
from lendcore.customers import consents
from lendcore.errors import Conflict, InvalidInput, NotFound, RuleViolation
from lendcore.store.access_tables import users
from lendcore.store.collections_tables import collection_agencies, collection_notices
from lendcore.store.uow import UnitOfWork

NOTICE_CHANNELS = frozenset({c.value for c in Channel} | {"letter", "email"})


@dataclass(frozen=True, slots=True)
class Agency:
    agency_id: int
    code: str
    name: str
    last_reviewed_on: date

    @property
    def review_due(self) -> date:
        return agency_review_due(self.last_reviewed_on)


@dataclass(frozen=True, slots=True)
class Notice:
    notice_id: int
    case_id: int
    channel: str
    sent_on: date


@dataclass(frozen=True, slots=True)
class Assignment:
    case_id: int
    agency_code: str
    assigned_on: date


@dataclass(frozen=True, slots=True)
class CollectorAssignment:
    case_id: int
    collector: str
    previous: str | None
    assigned_on: date


@dataclass(frozen=True, slots=True)
class Reachability:
    case_id: int
    unreachable: bool
    marked_on: date


def mark_unreachable(uow: UnitOfWork, case_id: int, unreachable: bool, by: str) -> Reachability:
    """Emergency contacts may be called only while the borrower is marked unreachable."""
    today = business_date(uow.conn)
    case = store.case_row(uow.conn, case_id, lock=True)
    fresh = store.bump_case(uow.conn, case, borrower_unreachable=unreachable, updated_on=today)
    store.add_history(uow.conn, fresh, today,
                      "marked_unreachable" if unreachable else "marked_reachable", {"by": by})
    return Reachability(case_id, unreachable, today)


def record_outsourcing_notice(uow: UnitOfWork, case_id: int, *, channel: str,
                              reference: str | None = None) -> Notice:
    """Record that the borrower was told today that the case may go to an agency (needed
    before it does)."""
    if channel not in NOTICE_CHANNELS:
        raise InvalidInput(f"accepted: {', '.join(sorted(NOTICE_CHANNELS))}", field="channel")
    today = business_date(uow.conn)
    case = store.case_row(uow.conn, case_id, lock=True)
    notice_id = store.insert_id(uow.conn, insert(collection_notices).values(
        case_id=case_id, kind="outsourcing", channel=channel, sent_on=today,
        reference=reference))
    fresh = store.bump_case(uow.conn, case, outsourcing_notice_on=today)
    store.add_history(uow.conn, fresh, today, "outsourcing_notice",
                      {"notice_id": notice_id, "channel": channel})
    return Notice(notice_id, case_id, channel, today)


def add_agency(uow: UnitOfWork, code: str, name: str, last_reviewed_on: date) -> Agency:
    """Register an agency with the date of its last yearly review (on or before today)."""
    today = business_date(uow.conn)
    if last_reviewed_on > today:
        raise InvalidInput(f"a review that already happened: on or before the business date "
                           f"{today} (got {last_reviewed_on})", field="last_reviewed_on")
    if uow.conn.execute(select(collection_agencies.c.id)
                        .where(collection_agencies.c.code == code)).first():
        raise Conflict(f"agency {code!r} already exists", field="code", code="duplicate_agency")
    agency_id = store.insert_id(uow.conn, insert(collection_agencies).values(
        code=code, name=name, last_reviewed_on=last_reviewed_on))
    return Agency(agency_id, code, name, last_reviewed_on)


def review_agency(uow: UnitOfWork, code: str) -> Agency:
    """The agency's yearly review happened today."""
    today = business_date(uow.conn)
    agency = store.agency_by_code(uow.conn, code)
    uow.conn.execute(update(collection_agencies).where(collection_agencies.c.id == agency["id"])
                     .values(last_reviewed_on=today))
    return Agency(int(agency["id"]), code, str(agency["name"]), today)


def assign_agency(uow: UnitOfWork, case_id: int, agency_code: str, *,
                  config: CollectionsConfig | None = None) -> Assignment:
    """Outsource a case today: only in an agency bucket (M4+), only after the outsourcing
    notice, only to an agency whose yearly review is current, only with the borrower's current
    consent to sharing with collection agencies (``customers.consents``)."""
    cfg = config or default_config()
    conn = uow.conn
    today = business_date(conn)
    case = store.case_row(conn, case_id, lock=True)
    agency = store.agency_by_code(conn, agency_code)
    strategy = cfg.strategy_for(str(case["bucket"]))
    if case["status"] != "open":
        raise RuleViolation("the case is closed", field="case_id", code="case_closed")
    if strategy is None or strategy.assignee is not AssigneeKind.AGENCY:
        raise RuleViolation(f"{case['bucket']} is worked in-house", field="case_id",
                            code="bucket_not_outsourced")
    notice_on = case["outsourcing_notice_on"]
    if notice_on is None or notice_on > today:
        raise RuleViolation("the borrower has not been notified of the outsourcing",
                            field="case_id", code="outsourcing_notice_missing")
    if not agency_accepts_new_cases(agency["last_reviewed_on"], bool(agency["active"]), today):
        raise RuleViolation(f"agency {agency_code} is past its yearly review "
                            f"(last {agency['last_reviewed_on']}) or inactive",
                            field="agency", code="agency_review_overdue")
    # Sharing the debt with an agency needs the borrower's current consent (PIPL): 409
    # ``consent_missing`` when never given or withdrawn.
    consents.require(conn, int(case["customer_id"]), "collection_sharing", field="case_id")
    fresh = store.bump_case(conn, case, assignee_kind=AssigneeKind.AGENCY.value,
                            agency_id=agency["id"], next_action="agency_collection",
                            updated_on=today)
    store.add_history(conn, fresh, today, "assigned", {"agency": agency_code})
    return Assignment(case_id, agency_code, today)


def assign_collector(uow: UnitOfWork, case_id: int, collector: str) -> CollectorAssignment:
    """Assign an open case to an in-house collector today (a user holding the collector role,
    not disabled): from then on that collector sees it (``queries.case_in_scope``), and the
    collector it had before no longer does."""
    conn = uow.conn
    today = business_date(conn)
    case = store.case_row(conn, case_id, lock=True)
    if case["status"] != "open":
        raise RuleViolation("the case is closed", field="case_id", code="case_closed")
    user = conn.execute(select(users.c.roles, users.c.disabled)
                        .where(users.c.username == collector)).first()
    if user is None or user.disabled:
        raise NotFound(f"no active user {collector!r}", field="collector")
    if "collector" not in {r.strip() for r in str(user.roles).split(",")}:
        raise RuleViolation(f"{collector} does not hold the collector role", field="collector",
                            code="not_a_collector")
    previous = case["collector"]
    fresh = store.bump_case(conn, case, collector=collector, updated_on=today)
    store.add_history(conn, fresh, today, "collector_assigned",
                      {"collector": collector, "previous": previous})
    return CollectorAssignment(case_id, collector, previous, today)
