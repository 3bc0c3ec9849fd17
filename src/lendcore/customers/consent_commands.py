"""CLI for a customer's consents: the same command as the API, printing JSON.

    lendcore consent record --customer 7 --purpose marketing --version 2026-01 \\
        --withdraw --channel phone
    lendcore consent show 7

Purposes: credit_query, bureau_reporting, personal_data, collection_sharing, marketing.
Channels: app, web, phone, branch, paper. The time is the server's clock, the actor the local
operator (``LENDCORE_OPERATOR`` or the login).
"""

from __future__ import annotations

import typer

from lendcore.cli_support import echo, read, run
from lendcore.customers import consent_views, consents
from lendcore.customers import operations as ops
from lendcore.edge import check_choice, check_id, check_identifier

consent_app = typer.Typer(help="Consents: record one given or withdrawn, show them.",
                          no_args_is_help=True)


@consent_app.command("record")
def consent_record(
    customer: str = typer.Option(..., help="the customer's id"),
    purpose: str = typer.Option(..., help=" | ".join(consents.PURPOSES)),
    version: str = typer.Option(consents.CONSENT_VERSION, help="the consent text's version"),
    granted: bool = typer.Option(..., "--give/--withdraw", help="given or withdrawn"),
    channel: str = typer.Option(..., help=" | ".join(consents.CHANNELS)),
) -> None:
    """Record a consent given or withdrawn (at the server's time)."""
    echo(run(ops.RecordConsent(check_id(customer, "--customer"),
                               check_choice(purpose, "--purpose", consents.PURPOSES),
                               check_identifier(version, "--version"), granted,
                               check_choice(channel, "--channel", consents.CHANNELS))))


@consent_app.command("show")
def consent_show(customer_id: str) -> None:
    """A customer's consents: the current state of every purpose and the history."""
    echo(consent_views.consents(read(consents.consents_of, check_id(customer_id, "customer_id"))))


def register(app: typer.Typer) -> None:
    app.add_typer(consent_app, name="consent")
