"""``lendcore collections early-plan ...``: help before overdue, for customer service.

    lendcore collections early-plan request --loan 3000001 --installments 12 \\
        --reason "salary cut from April"
    lendcore collections early-plan requests --json
    lendcore collections early-plan offer --loan 3000001 --installments 12
    lendcore collections early-plan show --plan 5
    lendcore collections early-plan sign --plan 5 --signed-by "borrower (by phone, recorded)"

The same command objects as the API (``early_operations``), run as the local operator (who asks
on the borrower's behalf, offers, or records the signature). No option sets a date: everything
happens on the business date. Exit codes as ``collections``: 0 done, 2 an input or business
error. A plan with a waiver is not signed at once: it waits for a checker
(``lendcore pending approve``).
"""

from __future__ import annotations

from typing import Any

import typer

from lendcore.cli_support import context, echo, read, run
from lendcore.collections import early_operations, queries, views
from lendcore.collections.config import RULE_MAX_PLAN_INSTALLMENTS
from lendcore.collections.fields import (
    PERSON_MAX,
    PLAN_METHODS,
    PLAN_REQUEST_STATUSES,
    REASON_MAX,
    check_optional_text,
)
from lendcore.edge import check_choice, check_count, check_id, check_text, parse_money
from lendcore.schedules import Method

early_app = typer.Typer(help="Plans before overdue: requests, offers, signatures.",
                        no_args_is_help=True)
KEY = typer.Option(None, "--key", help="idempotency key: a retry with it is the same command")
JSON = typer.Option(False, "--json", help="print JSON")
LOAN = typer.Option(..., "--loan", help="the borrower's loan")
PLAN = typer.Option(..., "--plan", help="the early plan's id")
INSTALLMENTS = typer.Option(..., help=f"1 to {RULE_MAX_PLAN_INSTALLMENTS}")
_WAIVER = "needs --reason; signing the plan then needs a checker (early_plan.sign:check)"


def _print(data: Any, as_json: bool) -> None:
    if as_json:
        echo(data)
        return
    for row in data if isinstance(data, list) else [data]:
        typer.echo("  ".join(f"{k}={v}" for k, v in row.items() if k != "schedule"))


@early_app.command("request")
def request_cmd(loan: str = LOAN, installments: str = INSTALLMENTS,
                reason: str = typer.Option(..., help="why the borrower expects trouble"),
                key: str | None = KEY, as_json: bool = JSON) -> None:
    """Record a borrower's request, before a missed payment, for a plan on their loan."""
    _print(run(early_operations.RequestEarlyPlan(
        check_id(loan, "--loan"),
        check_count(installments, "--installments", 1, RULE_MAX_PLAN_INSTALLMENTS),
        check_text(reason, "--reason", REASON_MAX)), key), as_json)


@early_app.command("requests")
def requests_cmd(status: str = typer.Option("open", help=" | ".join(PLAN_REQUEST_STATUSES)),
                 after: str = typer.Option("0", help="the last request id of the page before"),
                 limit: str = typer.Option(str(queries.DEFAULT_PAGE),
                                           help=f"at most {queries.MAX_PAGE}"),
                 as_json: bool = JSON) -> None:
    """Plan requests by id (open ones: to be answered with an offer)."""
    who = context().principal
    chosen = check_choice(status, "--status", PLAN_REQUEST_STATUSES)
    first = check_count(after, "--after", 0, 2**63 - 1)
    shown = check_count(limit, "--limit", 1, queries.MAX_PAGE)
    _print(views.plan_requests(read(lambda conn: early_operations.requests_for(
        conn, who, status=chosen, after_id=first, limit=shown))), as_json)


@early_app.command("offer")
def offer_cmd(
    loan: str = LOAN, installments: str = INSTALLMENTS,
    method: str = typer.Option("equal-installment", help=" | ".join(PLAN_METHODS)),
    waive_penalty: str = typer.Option("0", help=f"yuan; {_WAIVER}"),
    waive_interest: str = typer.Option("0", help=f"yuan; {_WAIVER}"),
    reason: str | None = typer.Option(None, help="why the waiver"),
    key: str | None = KEY, as_json: bool = JSON,
) -> None:
    """Offer a plan before overdue today, as you (the negotiated plan's rules, no case)."""
    _print(run(early_operations.OfferEarlyPlan(
        check_id(loan, "--loan"),
        check_count(installments, "--installments", 1, RULE_MAX_PLAN_INSTALLMENTS),
        Method(check_choice(method, "--method", PLAN_METHODS)),
        parse_money(waive_penalty, "--waive-penalty", allow_zero=True),
        parse_money(waive_interest, "--waive-interest", allow_zero=True),
        check_optional_text(reason, "--reason", REASON_MAX)), key), as_json)


@early_app.command("show")
def show_cmd(plan: str = PLAN) -> None:
    """One early plan with its schedule (JSON)."""
    echo(views.plan(read(early_operations.early_plan_for, context().principal,
                         check_id(plan, "--plan"))))


@early_app.command("sign")
def sign_cmd(plan: str = PLAN,
             signed_by: str = typer.Option("borrower", help="the borrower's side: who signed, "
                                           "or how"),
             key: str | None = KEY) -> None:
    """Record the borrower's signature today: the loan is restructured as offered. A plan
    with a waiver waits for a checker instead (`lendcore pending approve`)."""
    plan_id = check_id(plan, "--plan")
    read(early_operations.check_plan_scope, context().principal, plan_id)
    echo(run(early_operations.SignEarlyPlan(plan_id, check_text(signed_by, "--signed-by",
                                                                PERSON_MAX)), key))
