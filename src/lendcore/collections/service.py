"""Collections services: the one place the commands, the CLI and the nightly run call.

Each function takes a :class:`UnitOfWork` (a read: a ``Connection``) and never commits; the
caller commits once. Dates come from the server (``clock.business_date``), a contact's time from
the command's ``ctx.now``; services return domain values (``views`` presents them).

* ``sync_cases(uow, day, lo_id, hi_id)``: the nightly step (``sync``); ``sync_book`` the whole
  book.
* ``check_contact_for_case`` / ``record_contact``: the compliance guard and the contact log
  (``contacts``).
* Agencies, notices, assignment and reachability (``outsourcing``), plans (``plan_service``),
  complaints (``complaint_service``).
"""

from __future__ import annotations

from lendcore.collections.complaint_service import (
    Complaint,
    extend_complaint,
    list_complaints,
    mark_complex,
    open_complaint,
    resolve_complaint,
)
from lendcore.collections.contacts import (
    OUTCOMES_BY_CHANNEL,
    ContactOutcome,
    RecordedContact,
    check_contact_for_case,
    record_contact,
)
from lendcore.collections.outsourcing import (
    Agency,
    Assignment,
    CollectorAssignment,
    Notice,
    Reachability,
    add_agency,
    assign_agency,
    assign_collector,
    mark_unreachable,
    record_outsourcing_notice,
    review_agency,
)
from lendcore.collections.plan_service import (
    OfferedPlan,
    RestructureHook,
    SignedPlan,
    offer_plan,
    sign_plan,
)
from lendcore.collections.sync import SyncReport, sync_book, sync_cases, sync_range

__all__ = [
    "OUTCOMES_BY_CHANNEL",
    "Agency",
    "Assignment",
    "CollectorAssignment",
    "Complaint",
    "ContactOutcome",
    "Notice",
    "OfferedPlan",
    "Reachability",
    "RecordedContact",
    "RestructureHook",
    "SignedPlan",
    "SyncReport",
    "add_agency",
    "assign_agency",
    "assign_collector",
    "check_contact_for_case",
    "extend_complaint",
    "list_complaints",
    "mark_complex",
    "mark_unreachable",
    "offer_plan",
    "open_complaint",
    "record_contact",
    "record_outsourcing_notice",
    "resolve_complaint",
    "review_agency",
    "sign_plan",
    "sync_book",
    "sync_cases",
    "sync_range",
]
