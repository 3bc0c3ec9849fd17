"""The nightly case sync: one case per borrower, kept in line with the loans.

After the core closes a day, the nightly run calls :func:`sync_cases` once per partition with the
business date it just opened and the partition's loan-id range (``wiring.night_steps``)::

    sync_cases(uow, date(2026, 3, 2), 3_000_000, 5_999_999)   # customers 3, 4 and 5

For every borrower of the range whose case can change (a loan past grace, an open case, a
signed plan, or anything overdue with a case: ``store.borrowers_to_sync``; a borrower only
inside grace without a case has nothing to open or settle and is never read) it settles
promises to pay (kept once paid in full by their date, broken once the date passes unpaid) and
signed plans, a case's or early ones (completed when the loan closes, broken when it falls past
grace again), then opens,
refreshes, reopens or closes the borrower's one case (``cases.decide_case``), recomputes the next
action (``strategy.next_action``) and writes one history row per change. Run twice for the same
day it changes nothing the second time.

The range is read with five statements and written with one statement per kind of change
(``store.borrowers_to_sync``, ``store.write_sync``), whatever the size of the book: no list of
ids is ever sent as parameters. :func:`sync_book` is the whole book in one range (the CLI's
``collections sync``, tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lendcore.collections import store
from lendcore.collections.cases import CaseDecision, case_figures, decide_case
from lendcore.collections.config import AssigneeKind, CollectionsConfig, default_config
from lendcore.collections.store import Borrower, SyncWrites
from lendcore.collections.strategy import next_action, promise_broken, promise_kept
from lendcore.ids import customer_of
from lendcore.store.uow import UnitOfWork

MAX_LOAN_ID = 2**63 - 1
Events = list[tuple[str, dict[str, Any]]]


@dataclass
class SyncReport:
    opened: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    promises_broken: int = 0
    plans_broken: int = 0


def sync_cases(uow: UnitOfWork, day: date, lo_id: int, hi_id: int) -> None:
    """The nightly step: sync the borrowers of loans ``lo_id..hi_id`` on ``day`` (just opened)."""
    sync_range(uow, day, lo_id, hi_id)


def sync_book(uow: UnitOfWork, day: date, *,
              config: CollectionsConfig | None = None) -> SyncReport:
    """Every borrower of the book, as one range."""
    return sync_range(uow, day, 0, MAX_LOAN_ID, config=config)


def sync_range(uow: UnitOfWork, day: date, lo_id: int, hi_id: int, *,
               config: CollectionsConfig | None = None) -> SyncReport:
    """Sync the borrowers whose loans are ``lo_id..hi_id`` (whole borrowers: customer
    ``lo_id // 1_000_000`` to ``hi_id // 1_000_000``); what changed."""
    if not 0 <= lo_id <= hi_id:
        raise ValueError(f"a loan-id range is 0 <= lo <= hi (got {lo_id}..{hi_id})")
    cfg = config or default_config()
    conn = uow.conn
    agencies = store.agency_codes(conn)
    writes = SyncWrites()
    report = SyncReport()
    first, last = customer_of(lo_id), customer_of(hi_id)
    opened: list[tuple[dict[str, Any], Events]] = []
    actions: dict[tuple[Any, ...], str] = {}  # next_action is pure: one call per distinct input
    for who in store.borrowers_to_sync(conn, first, last):
        events, in_force = _settle(who, day, writes, report)
        case = _decide(who, day, events, report)
        if case is None:
            continue
        _refresh(case, in_force, day, cfg, agencies, events, actions)
        if case["id"] is None:
            opened.append((case, events))
        elif events:
            writes.cases.append(store.case_update(case))
            writes.history += [store.history_row(case, day, event, detail)
                               for event, detail in events]
    if opened:
        ids = store.insert_cases(conn, first, last, [case for case, _ in opened])
        for case, events in opened:
            case["id"] = ids[case["customer_id"]]
            writes.history += [store.history_row(case, day, event, detail)
                               for event, detail in events]
        report.opened = sorted([*report.opened, *ids.values()])
    store.write_sync(conn, writes)
    return report


def _settle(who: Borrower, day: date, writes: SyncWrites,
            report: SyncReport) -> tuple[Events, bool]:
    """Settle the borrower's signed plans (a case's and early ones) and the case's promises; the
    events and whether a plan is still in force. An early plan broken without a case is
    written all the same; its event goes to the case the broken plan opens."""
    events: Events = []
    in_force = False
    for plan in who.signed_plans:
        if plan.loan_status == "closed":
            status, event = "completed", "plan_completed"
        elif plan.loan_dpd > plan.loan_grace_days:
            status, event = "broken", "plan_broken"
            report.plans_broken += 1
        else:
            in_force = True
            continue
        writes.plans.append({"b_id": plan.plan_id, "b_status": status,
                             "b_broken_on": day if status == "broken" else None})
        events.append((event, {"plan_id": plan.plan_id}))
    if who.case is None:
        return events, in_force
    broken = 0
    for promise in who.open_promises:
        if promise_kept(promise.amount_fen, promise.paid_fen):
            status = "kept"
        elif promise_broken(promise.promised_on, promise.amount_fen, promise.paid_fen, day):
            status = "broken"
            broken += 1
        else:
            continue
        writes.promises.append({"b_id": promise.promise_id, "b_status": status,
                                "b_settled_on": day})
        events.append((f"promise_{status}", {"promise_id": promise.promise_id,
                                             "paid_fen": promise.paid_fen}))
    who.case["broken_promises"] = int(who.case["broken_promises"]) + broken
    report.promises_broken += broken
    return events, in_force


def _decide(who: Borrower, day: date, events: Events,
            report: SyncReport) -> dict[str, Any] | None:
    """Open, reopen, refresh or close the case (in memory); None when there is none."""
    case = who.case
    decision = decide_case(case is not None and case["status"] == "open", who.loans)
    if case is None and decision is not CaseDecision.OPEN:
        return None
    figures = store.figures_values(case_figures(who.loans))
    reopen = dict(status="open", opened_on=day, closed_on=None,
                  assignee_kind=AssigneeKind.IN_HOUSE.value, agency_id=None,
                  borrower_unreachable=False, outsourcing_notice_on=None, broken_promises=0)
    if case is None:
        events.insert(0, ("opened", {}))
        return {"id": None, "customer_id": who.customer_id, "next_action": "none",
                "updated_on": day, "version": 1, **figures, **reopen}
    if decision is CaseDecision.OPEN:
        case.update(figures, **reopen)
        events.insert(0, ("reopened", {}))
        report.opened.append(int(case["id"]))
    elif decision in (CaseDecision.KEEP, CaseDecision.CLOSE):
        changed = {k: v for k, v in figures.items() if case[k] != v}
        case.update(changed)
        if decision is CaseDecision.CLOSE:
            case.update(status="closed", closed_on=day)
            events.append(("closed", {}))
            report.closed.append(int(case["id"]))
        elif changed:
            events.append(("updated", {k: str(v) for k, v in changed.items()}))
            report.updated.append(int(case["id"]))
    return case


def _refresh(case: dict[str, Any], plan_in_force: bool, day: date, cfg: CollectionsConfig,
             agencies: dict[int, str], events: Events,
             actions: dict[tuple[Any, ...], str]) -> None:
    """Recompute the next action (``actions``: the answers of ``next_action`` so far, by
    input) and the assignee; a change is an event."""
    agency_code = agencies.get(case["agency_id"]) if case["agency_id"] is not None else None
    strategy = cfg.strategy_for(str(case["bucket"]))
    if (agency_code is not None and strategy is not None
            and strategy.assignee is AssigneeKind.IN_HOUSE):
        case.update(assignee_kind=AssigneeKind.IN_HOUSE.value, agency_id=None)
        events.append(("recalled_from_agency", {"agency": agency_code}))
        agency_code = None
    given = (case["status"] == "open", str(case["bucket"]), int(case["max_dpd"]), plan_in_force,
             int(case["broken_promises"]), case["outsourcing_notice_on"] is not None,
             agency_code)
    action = actions.get(given)
    if action is None:
        action = actions[given] = next_action(
            case_open=given[0], bucket=given[1], max_dpd=given[2], plan_in_force=given[3],
            broken_promises=given[4], notice_recorded=given[5], agency_code=given[6],
            config=cfg)
    if action != case["next_action"]:
        case["next_action"] = action
        if not events:
            events.append(("next_action", {"next_action": action}))
    if events and case["id"] is not None:
        case.update(updated_on=day, version=int(case["version"]) + 1)
