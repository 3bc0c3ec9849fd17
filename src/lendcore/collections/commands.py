"""``lendcore collections ...``: cases, the contact check, complaints, the case sync.

    lendcore collections cases --bucket M2 --json
    lendcore collections check --case 7 --channel call --to borrower \\
        --at 2026-03-01T21:30+08:00 --collector C042 --json
    lendcore collections complaints --date 2026-03-20 --json
    lendcore collections sync --date 2026-03-01

Exit codes: 0 done (for ``check``: the contact is allowed), 1 the guard refused the contact,
2 an input or business error (one line on stderr, mapped in ``lendcore.cli``).
"""

from __future__ import annotations

import json
from typing import Any

import typer
from sqlalchemy import Engine

from lendcore.calendar import parse_date
from lendcore.collections import complaint_service, queries, service
from lendcore.collections.cases import Role
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork

collections_app = typer.Typer(help="Collections: cases, the contact guard, complaints.",
                              no_args_is_help=True)


def _engine() -> Engine:
    """The configured database, migrated to every head (idempotent), as other areas do."""
    engine = make_engine()
    upgrade(engine)
    return engine


def register(app: typer.Typer) -> None:
    app.add_typer(collections_app, name="collections")


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    rows = data if isinstance(data, list) else [data]
    for row in rows:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items()))


@collections_app.command("cases")
def cases_cmd(
    bucket: str | None = typer.Option(None, help="only this bucket, e.g. M2"),
    status: str = typer.Option("open", help="open | closed"),
    role: str = typer.Option("collector", help="collector/agency see bands; supervisor exact"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """List collection cases with their ids."""
    with UnitOfWork(_engine()) as uow:
        rows = queries.list_cases(uow, bucket=bucket, status=status, role=Role.parse(role))
    _print(rows, as_json)


@collections_app.command("check")
def check_cmd(
    case: int = typer.Option(..., "--case", help="case id"),
    channel: str = typer.Option(..., help="call | sms | app | visit"),
    to: str = typer.Option("borrower", "--to", help="borrower | contact"),
    at: str = typer.Option(..., help="time with offset, e.g. 2026-03-01T21:30+08:00"),
    collector: str | None = typer.Option(None, help="collector id"),
    agency: str | None = typer.Option(None, help="agency code when an agency contacts"),
    number: str | None = typer.Option(None, help="which number (defaults to the target)"),
    template: str | None = typer.Option(None, help="message text or call script"),
    collectors: str | None = typer.Option(None, help="visit staff, comma separated"),
    recorded: bool = typer.Option(True, "--recorded/--not-recorded",
                                  help="the call or visit will be recorded"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Ask the compliance guard whether a contact may happen (records nothing)."""
    proposal = service.proposal_from({
        "channel": channel, "to": to, "at": at, "number": number, "collector_id": collector,
        "agency_code": agency, "template": template, "recorded": recorded,
        "collectors": [c.strip() for c in (collectors or "").split(",") if c.strip()],
    })
    with UnitOfWork(_engine()) as uow:
        verdict = service.check_contact_for_case(uow, case, proposal)
    if as_json:
        _print(verdict.as_dict(), True)
    else:
        typer.echo("allowed" if verdict.allowed else "refused")
        for reason in verdict.reasons:
            typer.echo(f"  {reason.code}: {reason.detail}")
    if not verdict.allowed:
        raise typer.Exit(1)


@collections_app.command("complaints")
def complaints_cmd(
    date: str = typer.Option(..., "--date", help="business date YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Open complaints, overdue first, then by deadline."""
    business_date = parse_date(date, "date")
    with UnitOfWork(_engine()) as uow:
        rows = complaint_service.list_complaints(uow, business_date)
    _print(rows, as_json)


@collections_app.command("sync")
def sync_cmd(date: str = typer.Option(..., "--date", help="business date YYYY-MM-DD")) -> None:
    """Open, refresh and close cases from the loans (the nightly run calls the same service)."""
    business_date = parse_date(date, "date")
    with UnitOfWork(_engine()) as uow:
        report = service.sync_cases(uow, business_date)
        uow.commit()
    typer.echo(f"opened {len(report.opened)}  updated {len(report.updated)}  "
               f"closed {len(report.closed)}  promises broken {report.promises_broken}  "
               f"plans broken {report.plans_broken}")


@collections_app.command("plan-offer")
def plan_offer_cmd(
    case: int = typer.Option(..., "--case", help="collection case id"),
    loan: int = typer.Option(..., "--loan", help="the case's loan to restructure"),
    installments: int = typer.Option(..., help="at most 60"),
    proposed_by: str = typer.Option(..., help="collector id"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Offer a negotiated repayment plan (协商还款) on the business date."""
    from lendcore.collections.routes import _offer_view
    from lendcore.servicing.runner import business_date

    with UnitOfWork(_engine()) as uow:
        plan_id, offer = service.offer_plan(uow, case, loan, installments=installments,
                                            offered_on=business_date(uow.conn),
                                            proposed_by=proposed_by)
        uow.commit()
    _print(_offer_view(plan_id, offer), as_json)


@collections_app.command("plan-sign")
def plan_sign_cmd(
    plan: int = typer.Option(..., "--plan", help="the offered plan's id"),
    signed_by: str = typer.Option("borrower", help="who signed"),
) -> None:
    """Sign an offered plan: the loan is restructured as offered and collection stops."""
    from lendcore.servicing.runner import business_date
    from lendcore.servicing.service import apply_plan

    with UnitOfWork(_engine()) as uow:
        service.sign_plan(uow, plan, signed_on=business_date(uow.conn), signed_by=signed_by,
                          apply_restructure=apply_plan)
        uow.commit()
    typer.echo(json.dumps({"plan_id": plan, "status": "signed"}))


@collections_app.command("reachability")
def reachability_cmd(
    case: int = typer.Option(..., "--case", help="collection case id"),
    unreachable: bool = typer.Option(..., "--unreachable/--reachable",
                                     help="emergency contacts only while unreachable"),
    by: str = typer.Option(..., help="collector id"),
) -> None:
    """Mark a borrower unreachable (or reachable again) on the business date."""
    from lendcore.servicing.runner import business_date

    with UnitOfWork(_engine()) as uow:
        service.mark_unreachable(uow, case, unreachable, business_date(uow.conn), by)
        uow.commit()
    typer.echo(json.dumps({"case_id": case, "unreachable": unreachable}))


@collections_app.command("agency-add")
def agency_add_cmd(code: str = typer.Option(...), name: str = typer.Option(...),
                   reviewed_on: str = typer.Option(..., help="last yearly review YYYY-MM-DD")
                   ) -> None:
    """Add an outsourced collection agency."""
    with UnitOfWork(_engine()) as uow:
        agency_id = service.add_agency(uow, code, name, parse_date(reviewed_on, "--reviewed-on"))
        uow.commit()
    typer.echo(json.dumps({"agency_id": agency_id, "code": code}))


@collections_app.command("agency-review")
def agency_review_cmd(code: str = typer.Option(...),
                      reviewed_on: str = typer.Option(..., help="YYYY-MM-DD")) -> None:
    """Record an agency's yearly review (only reviewed agencies get new cases)."""
    with UnitOfWork(_engine()) as uow:
        service.review_agency(uow, code, parse_date(reviewed_on, "--reviewed-on"))
        uow.commit()
    typer.echo(json.dumps({"code": code, "last_reviewed_on": reviewed_on}))


@collections_app.command("complaint-complex")
def complaint_complex_cmd(complaint: int = typer.Option(..., "--complaint")) -> None:
    """Mark a complaint complex: decided within 30 days instead of 15."""
    with UnitOfWork(_engine()) as uow:
        deadline = complaint_service.mark_complex(uow, complaint)
        uow.commit()
    typer.echo(json.dumps({"complaint_id": complaint, "deadline": deadline.isoformat()}))


@collections_app.command("complaint-resolve")
def complaint_resolve_cmd(complaint: int = typer.Option(..., "--complaint"),
                          resolved_on: str = typer.Option(..., help="YYYY-MM-DD"),
                          resolution: str = typer.Option(..., help="how it was decided")) -> None:
    """Record how a complaint was decided."""
    with UnitOfWork(_engine()) as uow:
        complaint_service.resolve_complaint(uow, complaint,
                                            resolved_on=parse_date(resolved_on, "--resolved-on"),
                                            resolution=resolution)
        uow.commit()
    typer.echo(json.dumps({"complaint_id": complaint, "status": "resolved"}))
