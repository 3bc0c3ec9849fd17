"""CLI of access: operators, API clients, four eyes.

    lendcore users add li.wei --role credit_officer [--role ...] [--agency A1] [--password-stdin]
    lendcore users roles li.wei --role credit_officer --role customer_service
    lendcore users password li.wei          (the password from stdin, or asked twice, hidden)
    lendcore users disable li.wei
    lendcore users list
    lendcore keys api-add shop-1 --scope merchant --merchant M-1     (prints the key once)
    lendcore keys api-list | api-revoke shop-1
    lendcore pending list | show N | approve N --reason ... | reject N --reason ...

There is no default user and no default password: the first local operator of a fresh database
is its administrator (``cli_support.principal``), who adds the others. A role grant or change
waits for a second administrator (four eyes) once there is one.
"""

from __future__ import annotations

import sys

import typer

from lendcore import pending
from lendcore.access import operations as ops
from lendcore.access import service
from lendcore.cli_support import echo, read, run, use_operator_resolver
from lendcore.edge import check_identifier, check_text
from lendcore.runner import ApprovePending, RejectPending

users_app = typer.Typer(help="Operators: add, roles, password, disable, list.",
                        no_args_is_help=True)
use_operator_resolver(service.local_operator)  # the CLI's local operator is a user of ours

pending_app = typer.Typer(help="Four eyes: commands waiting for a checker.",
                          no_args_is_help=True)
ROLE_HELP = "a role (repeat for several): administrator, credit_officer, customer_service, ..."


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        from lendcore.errors import InvalidInput

        raise InvalidInput("the two passwords differ", field="password")
    return str(first)


@users_app.command("add")
def add_user(username: str = typer.Argument(..., help="2-64 characters: a-z 0-9 . _ -"),
             role: list[str] = typer.Option(..., "--role", help=ROLE_HELP),
             agency: str = typer.Option(None, "--agency", help="an agency collector's agency"),
             password_stdin: bool = typer.Option(False, "--password-stdin",
                                                 help="read a password from stdin (else the "
                                                      "user cannot sign in until one is set)"),
             ) -> None:
    """Add an operator with roles (a grant waits for a second administrator, once there is
    one)."""
    service.check_username(username)
    password = _password(True) if password_stdin else None
    if agency is not None:
        check_identifier(agency, "agency")
    added = run(ops.AddUser(username, tuple(role), agency))
    if password is not None and added.get("status") != "pending_approval":
        added = run(ops.SetPassword(username, password))
    elif password is not None:
        added["password"] = "not set: set it once the grant is approved (users password)"
    echo(added)


@users_app.command("roles")
def set_roles(username: str = typer.Argument(...),
              role: list[str] = typer.Option(..., "--role", help=ROLE_HELP)) -> None:
    """Replace an operator's roles (four eyes; their sessions end)."""
    echo(run(ops.SetRoles(service.check_username(username), tuple(role))))


@users_app.command("password")
def set_password(username: str = typer.Argument(...),
                 password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set an operator's password (argon2; their sessions end)."""
    service.check_username(username)
    echo(run(ops.SetPassword(username, _password(password_stdin))))


@users_app.command("disable")
def disable(username: str = typer.Argument(...)) -> None:
    """Disable an operator (their sessions end at once)."""
    echo(run(ops.DisableUser(service.check_username(username))))


@users_app.command("list")
def list_users() -> None:
    """Every operator with roles and state (never a password hash)."""
    echo([{"username": u.username, "roles": list(u.roles), "agency": u.agency_code,
           "disabled": u.disabled, "can_sign_in": u.has_password and not u.disabled}
          for u in read(service.list_users)])


@pending_app.command("list")
def list_pending(status: str = typer.Option("pending", help="pending | approved | rejected | "
                                                            "all")) -> None:
    """Commands waiting for a checker (or decided ones)."""
    if status not in ("pending", "approved", "rejected", "all"):
        from lendcore.errors import InvalidInput

        raise InvalidInput("accepted: pending, approved, rejected, all", field="status")
    rows = read(pending.listing, None if status == "all" else status)
    echo([pending.view(p) for p in rows])


@pending_app.command("show")
def show_pending(pending_id: int = typer.Argument(..., min=1, max=2**63 - 1)) -> None:
    """One pending command, exactly as proposed."""
    echo(pending.view(read(pending.get, pending_id)))


@pending_app.command("approve")
def approve(pending_id: int = typer.Argument(..., min=1, max=2**63 - 1),
            reason: str = typer.Option(..., "--reason")) -> None:
    """Run a pending command as the checker (not its maker)."""
    check_text(reason, "reason", 500)
    echo(run(ApprovePending(pending_id, reason)))


@pending_app.command("reject")
def reject(pending_id: int = typer.Argument(..., min=1, max=2**63 - 1),
           reason: str = typer.Option(..., "--reason")) -> None:
    """Refuse a pending command (its maker may withdraw their own)."""
    check_text(reason, "reason", 500)
    echo(run(RejectPending(pending_id, reason)))


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(pending_app, name="pending")
    keys = next((g.typer_instance for g in app.registered_groups if g.name == "keys"), None)
    if keys is None:  # the key ring's group mounts first (wiring)
        raise RuntimeError("lendcore keys must be mounted before access's API-key commands")

    @keys.command("api-add")
    def api_add(client_id: str = typer.Argument(..., help="the client's id"),
                scope: str = typer.Option(..., "--scope", help="merchant | gateway | bureau"),
                merchant: str = typer.Option(None, "--merchant",
                                             help="a merchant client's merchant id")) -> None:
        """A machine client's API key, bound to it and one scope (printed once)."""
        echo(run(ops.AddClient(service.check_username(client_id, "client_id"), scope,
                               merchant)))

    @keys.command("api-list")
    def api_list() -> None:
        """The API clients (never their keys)."""
        echo(read(service.list_clients))

    @keys.command("api-revoke")
    def api_revoke(client_id: str = typer.Argument(...)) -> None:
        """Revoke a client's API key (refused from then on)."""
        echo(run(ops.RevokeClient(client_id)))
