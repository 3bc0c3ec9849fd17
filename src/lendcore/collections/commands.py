"""``lendcore collections ...``: cases, the contact guard, agencies, plans, complaints.

    lendcore collections cases --bucket M2 --json
    lendcore collections assign-collector --case 7 --collector li.wei
    lendcore collections check --case 7 --channel call --to borrower --json
    lendcore collections contact --case 7 --channel call --outcome answered \\
        --recording-ref rec-1
    lendcore collections legal-step --case 7 --step lawyer_letter --reference LF-2026-0031
    lendcore collections complaints --json
    lendcore collections sync
    lendcore collections early-plan offer --loan 3000001 --installments 12   (early_commands)

Each command builds the same command object the API builds (``operations``) and runs it as
the local operator (``LENDCORE_OPERATOR``): they are the collector of a contact, the one who
marks a borrower unreachable, offers a plan or approves an extension, and their roles decide
which cases they see (a collector: the ones assigned to them) and how (bands or exact amounts);
no option names a person acting or a role. No option sets a date or a time (a contact happens
now, on the server's clock; the rest on the business date). The dated options are facts from
before: ``agency-add --reviewed-on`` (the agency's last review) and ``legal-step --taken-on``
(when the step was taken), never after the business date.
``--key`` makes a retry the same command as the API request with that ``Idempotency-Key``.

Exit codes: 0 done (``check`` and ``contact``: the contact is allowed), 1 the guard refused the
contact, 2 an input or business error (one line on stderr, mapped in ``lendcore.cli``).
"""

from __future__ import annotations

from typing import Any

import typer

from lendcore.cli_support import context, echo, read, run
from lendcore.collections import complaint_service, operations, queries, views
from lendcore.collections.config import (
    RULE_COMPLAINT_MAX_DAYS,
    RULE_MAX_PLAN_INSTALLMENTS,
    Channel,
)
from lendcore.collections.early_commands import early_app
from lendcore.collections.fields import (
    BUCKET_NAMES,
    CASE_STATUSES,
    COMPLAINT_CHANNELS,
    CONTACT_CHANNELS,
    CONTACT_OUTCOMES,
    CONTACT_TARGETS,
    LEGAL_STEPS,
    NAME_MAX,
    NOTICE_CHANNELS,
    PERSON_MAX,
    PLAN_METHODS,
    REASON_MAX,
    RECORDING_MAX,
    REFERENCE_MAX,
    SUMMARY_MAX,
    TEMPLATE_MAX,
    VISIT_STAFF_MAX,
    check_number,
    check_optional_text,
)
from lendcore.collections.guard import Outcome, Target
from lendcore.collections.legal import LegalStep
from lendcore.collections.legal_operations import RecordLegalStep
from lendcore.edge import (
    check_choice,
    check_count,
    check_date,
    check_id,
    check_identifier,
    check_text,
    parse_money,
)
from lendcore.errors import InvalidInput
from lendcore.schedules import Method

collections_app = typer.Typer(help="Collections: cases, the contact guard, agencies, plans, "
                                   "legal steps, complaints.", no_args_is_help=True)
collections_app.add_typer(early_app, name="early-plan")  # help before overdue
KEY = typer.Option(None, "--key", help="idempotency key: a retry with it is the same command")
JSON = typer.Option(False, "--json", help="print JSON")


def register(app: typer.Typer) -> None:
    app.add_typer(collections_app, name="collections")


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        echo(data)
        return
    for row in data if isinstance(data, list) else [data]:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items()))


# --- cases -------------------------------------------------------------------------------------
@collections_app.command("cases")
def cases_cmd(
    bucket: str | None = typer.Option(None, help="only this bucket, e.g. M2"),
    status: str = typer.Option("open", help="open | closed"),
    after: str = typer.Option("0", help="the last case id of the page before"),
    limit: str = typer.Option(str(queries.DEFAULT_PAGE), help=f"at most {queries.MAX_PAGE}"),
    as_json: bool = JSON,
) -> None:
    """List collection cases with their ids, by id (a collector: the ones assigned to them;
    amounts exact for a supervisor, bands otherwise)."""
    who = context().principal
    rows = read(lambda conn: queries.list_cases(
            conn, bucket=None if bucket is None else check_choice(bucket, "--bucket",
                                                                  BUCKET_NAMES),
            status=check_choice(status, "--status", CASE_STATUSES),
            after_id=check_count(after, "--after", 0, 2**63 - 1),
            limit=check_count(limit, "--limit", 1, queries.MAX_PAGE), principal=who))
    _print(views.cases(rows, views.view_role(who)), as_json)


@collections_app.command("case")
def case_cmd(case: str = typer.Option(..., "--case", help="case id")) -> None:
    """One case with its history, contacts, promises and plans (JSON)."""
    who = context().principal
    echo(views.case_detail(read(queries.case_detail_for, who, check_id(case, "--case")),
                           views.view_role(who)))


# --- contacts ----------------------------------------------------------------------------------
def _contact(case: str, channel: str, to: str, number: str | None, template: str | None,
             collectors: str | None, recorded: bool) -> operations.Contact:
    staff = tuple(c.strip() for c in (collectors or "").split(",") if c.strip())
    if len(staff) > VISIT_STAFF_MAX:
        raise InvalidInput(f"at most {VISIT_STAFF_MAX} collectors", field="--collectors")
    return operations.Contact(
        case_id=check_id(case, "--case"),
        channel=Channel(check_choice(channel, "--channel", CONTACT_CHANNELS)),
        target=Target(check_choice(to, "--to", CONTACT_TARGETS)),
        number=None if number is None else check_number(number, "--number"),
        template=check_optional_text(template, "--template", TEMPLATE_MAX),
        collectors=tuple(check_identifier(c, "--collectors") for c in staff),
        recorded=recorded)


CASE = typer.Option(..., "--case", help="case id")
CHANNEL = typer.Option(..., help="call | sms | app | visit")
TO = typer.Option("borrower", "--to", help="borrower | contact")
NUMBER = typer.Option(None, help="which number (defaults to the target's own)")
TEMPLATE = typer.Option(None, help="message text or call script (a message carries your "
                                    "username)")
COLLECTORS = typer.Option(None, help="visit staff besides you, comma separated")
RECORDED = typer.Option(True, "--recorded/--not-recorded", help="the call or visit is recorded")


def _verdict(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo(result)
    else:
        typer.echo("allowed" if result["allowed"] else "refused")
        for reason in result["reasons"]:
            typer.echo(f"  {reason['code']}: {reason['detail']}")
    if not result["allowed"]:
        raise typer.Exit(1)


@collections_app.command("check")
def check_cmd(case: str = CASE, channel: str = CHANNEL, to: str = TO,
              number: str | None = NUMBER, template: str | None = TEMPLATE,
              collectors: str | None = COLLECTORS, recorded: bool = RECORDED,
              as_json: bool = JSON) -> None:
    """Would the compliance guard allow this contact by you now? (records nothing)"""
    contact = _contact(case, channel, to, number, template, collectors, recorded)
    verdict = read(operations.check_contact, contact, context())
    _verdict(views.verdict(verdict), as_json)


@collections_app.command("contact")
def contact_cmd(
    case: str = CASE, channel: str = CHANNEL, to: str = TO, number: str | None = NUMBER,
    template: str | None = TEMPLATE, collectors: str | None = COLLECTORS,
    recorded: bool = RECORDED,
    outcome: str = typer.Option(..., help=" | ".join(CONTACT_OUTCOMES)),
    recording_ref: str | None = typer.Option(None, help="where the recording is kept"),
    promise_amount: str | None = typer.Option(None, help="promised yuan, e.g. 500.00"),
    promise_date: str | None = typer.Option(None, help="promised by YYYY-MM-DD"),
    key: str | None = KEY, as_json: bool = JSON,
) -> None:
    """Check a contact by you happening now and log it (a refusal is logged too, exit 1)."""
    command = operations.RecordContact(
        _contact(case, channel, to, number, template, collectors, recorded),
        Outcome(check_choice(outcome, "--outcome", CONTACT_OUTCOMES)),
        check_optional_text(recording_ref, "--recording-ref", RECORDING_MAX),
        None if promise_amount is None else parse_money(promise_amount, "--promise-amount"),
        None if promise_date is None else check_date(promise_date, "--promise-date"))
    _verdict(run(command, key), as_json)


# --- outsourcing -------------------------------------------------------------------------------
@collections_app.command("notice")
def notice_cmd(case: str = CASE,
               channel: str = typer.Option(..., help=" | ".join(NOTICE_CHANNELS)),
               reference: str | None = typer.Option(None, help="letter number, message id"),
               key: str | None = KEY) -> None:
    """Record that the borrower was told today that the case may go to an agency."""
    echo(run(operations.SendNotice(
        check_id(case, "--case"), check_choice(channel, "--channel", NOTICE_CHANNELS),
        check_optional_text(reference, "--reference", REFERENCE_MAX)), key))


@collections_app.command("assign")
def assign_cmd(case: str = CASE, agency: str = typer.Option(..., help="agency code"),
               key: str | None = KEY) -> None:
    """Outsource a case to a reviewed agency today (M4+, after the notice)."""
    echo(run(operations.AssignAgency(check_id(case, "--case"),
                                     check_identifier(agency, "--agency")), key))


@collections_app.command("assign-collector")
def assign_collector_cmd(case: str = CASE,
                         collector: str = typer.Option(..., help="the collector's username"),
                         key: str | None = KEY) -> None:
    """Assign a case to an in-house collector: of the collectors, only they see it."""
    echo(run(operations.AssignCollector(check_id(case, "--case"),
                                        check_identifier(collector, "--collector")), key))


@collections_app.command("reachability")
def reachability_cmd(
    case: str = CASE,
    unreachable: bool = typer.Option(..., "--unreachable/--reachable",
                                     help="emergency contacts only while unreachable"),
    key: str | None = KEY,
) -> None:
    """Mark a borrower unreachable (or reachable again) today, as established by you."""
    echo(run(operations.MarkUnreachable(check_id(case, "--case"), unreachable), key))


@collections_app.command("agency-add")
def agency_add_cmd(code: str = typer.Option(..., help="agency code"),
                   name: str = typer.Option(..., help="the agency's name"),
                   reviewed_on: str = typer.Option(..., help="its last yearly review YYYY-MM-DD,"
                                                             " on or before the business date"),
                   key: str | None = KEY) -> None:
    """Add an outsourced collection agency."""
    echo(run(operations.AddAgency(check_identifier(code, "--code"),
                                  check_text(name, "--name", NAME_MAX),
                                  check_date(reviewed_on, "--reviewed-on")), key))


@collections_app.command("agency-review")
def agency_review_cmd(code: str = typer.Option(..., help="agency code"),
                      key: str | None = KEY) -> None:
    """Record that an agency's yearly review happened today (only reviewed agencies get new
    cases)."""
    echo(run(operations.ReviewAgency(check_identifier(code, "--code")), key))


@collections_app.command("sync")
def sync_cmd() -> None:
    """Open, refresh and close every case from the loans on the business date (the nightly
    run does the same, partition by partition)."""
    report = run(operations.SyncCases())
    typer.echo(f"opened {report['opened']}  updated {report['updated']}  "
               f"closed {report['closed']}  promises broken {report['promises_broken']}  "
               f"plans broken {report['plans_broken']}")


# --- plans -------------------------------------------------------------------------------------
_WAIVER = "needs --reason; signing the plan then needs a checker (plan.sign:check)"


@collections_app.command("plan-offer")
def plan_offer_cmd(
    case: str = CASE, loan: str = typer.Option(..., "--loan", help="the case's loan"),
    installments: str = typer.Option(..., help=f"1 to {RULE_MAX_PLAN_INSTALLMENTS}"),
    method: str = typer.Option("equal-installment", help=" | ".join(PLAN_METHODS)),
    waive_penalty: str = typer.Option("0", help=f"yuan; {_WAIVER}"),
    waive_interest: str = typer.Option("0", help=f"yuan; {_WAIVER}"),
    reason: str | None = typer.Option(None, help="why the waiver"),
    key: str | None = KEY, as_json: bool = JSON,
) -> None:
    """Offer a negotiated repayment plan (协商还款) today, as you."""
    result = run(operations.OfferPlan(
        check_id(case, "--case"), check_id(loan, "--loan"),
        check_count(installments, "--installments", 1, RULE_MAX_PLAN_INSTALLMENTS),
        Method(check_choice(method, "--method", PLAN_METHODS)),
        parse_money(waive_penalty, "--waive-penalty", allow_zero=True),
        parse_money(waive_interest, "--waive-interest", allow_zero=True),
        check_optional_text(reason, "--reason", REASON_MAX)), key)
    _print(result, as_json)


@collections_app.command("plan-sign")
def plan_sign_cmd(plan: str = typer.Option(..., "--plan", help="the offered plan's id"),
                  signed_by: str = typer.Option("borrower", help="the borrower's side: who "
                                                "signed, or how"),
                  key: str | None = KEY) -> None:
    """Sign an offered plan today: the loan is restructured as offered and collection stops.
    A plan with a waiver waits for a checker instead (`lendcore pending approve`)."""
    plan_id = check_id(plan, "--plan")
    read(operations.check_plan_scope, context().principal, plan_id)
    echo(run(operations.SignPlan(plan_id, check_text(signed_by, "--signed-by", PERSON_MAX)),
             key))


# --- legal steps -------------------------------------------------------------------------------
@collections_app.command("legal-step")
def legal_step_cmd(
    case: str = CASE, step: str = typer.Option(..., help=" | ".join(LEGAL_STEPS)),
    reference: str = typer.Option(..., help="the letter's number or the court's case number "
                                            "(案号): a message naming the step cites it"),
    taken_on: str | None = typer.Option(None, help="when it was taken YYYY-MM-DD, on or "
                                                   "before the business date (default: it)"),
    key: str | None = KEY,
) -> None:
    """Record a legal step taken on a case; it waits for a second person's approval."""
    echo(run(RecordLegalStep(
        check_id(case, "--case"), LegalStep(check_choice(step, "--step", LEGAL_STEPS)),
        check_text(reference, "--reference", REFERENCE_MAX),
        None if taken_on is None else check_date(taken_on, "--taken-on")), key))


# --- complaints --------------------------------------------------------------------------------
COMPLAINT = typer.Option(..., "--complaint", help="complaint id")


@collections_app.command("complaints")
def complaints_cmd(limit: str = typer.Option(str(queries.DEFAULT_PAGE),
                                             help=f"at most {queries.MAX_PAGE}"),
                   as_json: bool = JSON) -> None:
    """Open complaints as of the business date, overdue first, then by deadline."""
    shown = check_count(limit, "--limit", 1, queries.MAX_PAGE)
    _print(views.complaints(read(lambda conn: complaint_service.list_complaints(
        conn, limit=shown))), as_json)


@collections_app.command("complaint-open")
def complaint_open_cmd(customer: str = typer.Option(..., "--customer", help="customer id"),
                       channel: str = typer.Option(..., help=" | ".join(COMPLAINT_CHANNELS)),
                       summary: str = typer.Option(..., help="what it is about"),
                       complex_: bool = typer.Option(False, "--complex", help="30 days, not 15"),
                       key: str | None = KEY) -> None:
    """Take a complaint received today."""
    echo(run(operations.ReceiveComplaint(
        check_id(customer, "--customer"), check_choice(channel, "--channel", COMPLAINT_CHANNELS),
        check_text(summary, "--summary", SUMMARY_MAX), complex_), key))


@collections_app.command("complaint-complex")
def complaint_complex_cmd(complaint: str = COMPLAINT, key: str | None = KEY) -> None:
    """Mark a complaint complex: decided within 30 days of receipt instead of 15."""
    echo(run(operations.MarkComplaintComplex(check_id(complaint, "--complaint")), key))


@collections_app.command("complaint-extend")
def complaint_extend_cmd(complaint: str = COMPLAINT,
                         days: str = typer.Option(..., help=f"at most {RULE_COMPLAINT_MAX_DAYS}"),
                         reason: str = typer.Option(..., help="why"),
                         key: str | None = KEY) -> None:
    """Extend a complaint's deadline (approved by you, with a reason; 60 days at most)."""
    echo(run(operations.ExtendComplaint(
        check_id(complaint, "--complaint"),
        check_count(days, "--days", 1, RULE_COMPLAINT_MAX_DAYS),
        check_text(reason, "--reason", REASON_MAX)), key))


@collections_app.command("complaint-resolve")
def complaint_resolve_cmd(complaint: str = COMPLAINT,
                          resolution: str = typer.Option(..., help="how it was decided"),
                          key: str | None = KEY) -> None:
    """Record how a complaint was decided, today."""
    echo(run(operations.ResolveComplaint(check_id(complaint, "--complaint"),
                                         check_text(resolution, "--resolution", SUMMARY_MAX)),
             key))
