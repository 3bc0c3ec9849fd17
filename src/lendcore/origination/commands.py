"""CLI: ``lendcore apply``, ``lendcore decision``, ``lendcore review``.

    lendcore apply --template > application.json
    lendcore apply --file application.json --json     # "product": "checkout-installment" for
                                                       # the checkout line
    lendcore decision 7                      # the explanation of decision 7
    lendcore review request 7 --reason "I graduated in June"
    lendcore review queue
    lendcore review outcome 3 --outcome approve --reason "income checked"

Each builds the same command the API builds (``operations.py``) and runs it through the one
runner, as the local operator, on the server's business date: there is no date option. The limit
re-evaluation is a step of the nightly run (``lendcore eod run``), not a command.

The database is ``LENDCORE_DATABASE_URL`` (default SQLite ``lendcore.db``), brought up to date
first; a fresh one starts its business date today. ``lendcore scorecard train`` is in the
``lendcore-tools`` distribution.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from lendcore.cli_support import context, echo, read, run
from lendcore.edge import check_text
from lendcore.errors import InvalidInput

review_app = typer.Typer(help="Human review of automated decisions (PIPL Art. 24).",
                         no_args_is_help=True)
FILE_MAX_BYTES = 256 * 1024  # as the API's body limit


def _payload(file: Path) -> object:
    try:
        if file.stat().st_size > FILE_MAX_BYTES:
            raise InvalidInput(f"{file} is over {FILE_MAX_BYTES} bytes", field="file")
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise InvalidInput(f"cannot read {file} as JSON: {reason}", field="file") from None


def apply(
    file: Path | None = typer.Option(None, "--file", help="the application JSON file"),
    template: bool = typer.Option(False, "--template", help="print a complete good applicant"),
    as_json: bool = typer.Option(False, "--json", help="print the decision as JSON"),
) -> None:
    """Decide one credit application on the business date (or print a template)."""
    from lendcore.origination import views
    from lendcore.origination.operations import Decide
    from lendcore.origination.schemas import parse_application
    from lendcore.origination.schemas import template as make_template

    if template:
        typer.echo(json.dumps(make_template(), indent=2, ensure_ascii=False))
        return
    if file is None:
        raise InvalidInput("give --file application.json (or --template)", field="file")
    out: dict[str, Any] = run(Decide(parse_application(_payload(file))).prepared())
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(views.decided_line(out))
    for reason in out["reasons"]:
        typer.echo(f"  {reason['code']}: {reason['detail']}")


def decision(decision_id: int = typer.Argument(..., min=1, help="the decision's id")) -> None:
    """The explanation of a decision: reasons in order, score, terms, inputs, reviews."""
    from lendcore.origination import reviews, views

    echo(views.explanation(read(reviews.explain, decision_id)))


@review_app.command("request")
def review_request(
    decision_id: int = typer.Argument(..., min=1, help="the decision to review"),
    reason: str = typer.Option("", "--reason", help="why (at most 2000 characters)"),
    key: str = typer.Option(None, "--key", help="idempotency key"),
) -> None:
    """Ask for a person to review a decision."""
    from lendcore.origination.operations import RequestReview

    check_text(reason, "reason", 2000, required=False)
    echo(run(RequestReview(decision_id, reason), key))


@review_app.command("queue")
def review_queue() -> None:
    """The open reviews, oldest first, each with its decision."""
    from lendcore.origination import reviews, views

    echo(views.queue(read(reviews.review_queue)))


@review_app.command("outcome")
def review_outcome(
    review_id: int = typer.Argument(..., min=1, help="the review"),
    outcome: str = typer.Option(..., "--outcome", help="approve | decline"),
    reason: str = typer.Option(..., "--reason", help="why (at most 2000 characters)"),
    key: str = typer.Option(None, "--key", help="idempotency key"),
) -> None:
    """Record a reviewer's outcome, with who and why."""
    from lendcore.origination.operations import RecordReviewOutcome
    from lendcore.origination.reviews import REVIEW_OUTCOMES

    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(f"accepted: {list(REVIEW_OUTCOMES)}", field="outcome")
    check_text(reason, "reason", 2000)
    # The reviewer is the local operator (LENDCORE_OPERATOR), never a name typed here; an
    # approval waits for a second reviewer (four eyes: lendcore pending approve).
    echo(run(RecordReviewOutcome(review_id, outcome, context().actor, reason), key))


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)
    app.command("decision")(decision)
    app.add_typer(review_app, name="review")
