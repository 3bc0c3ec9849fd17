"""Access commands: sign-in and sessions, operators, machine clients, borrower tokens.

Each runs through ``runner.execute`` like every other command, so each is in the audit trail:
a sign-in (succeeded or refused) with the username and never the password, a role change with
who proposed it and who approved it. Secrets (passwords, refresh tokens) never reach the audit
record (``audited``) nor a stored idempotency result (none of these takes a key).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import Connection

from lendcore.access import service
from lendcore.runner import Command, Context, Result
from lendcore.store.uow import UnitOfWork

REDACTED = "[redacted]"


def _user_view(u: service.User) -> Result:
    return {"username": u.username, "roles": list(u.roles), "agency": u.agency_code,
            "disabled": u.disabled, "can_sign_in": u.has_password and not u.disabled,
            "created_at": u.created_at.isoformat(), "created_by": u.created_by}


@dataclass(frozen=True, slots=True)
class SignIn(Command):
    name: ClassVar[str] = "sign_in"
    permission: ClassVar[str] = ""  # public: the credentials are the check

    username: str
    password: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return service.sign_in(uow, self.username, self.password)

    def audited(self, canonical: dict[str, Any]) -> dict[str, Any]:
        return {"username": self.username[:64], "password": REDACTED}


@dataclass(frozen=True, slots=True)
class Refresh(Command):
    name: ClassVar[str] = "refresh_session"
    permission: ClassVar[str] = ""  # public: the refresh token is the credential

    refresh_token: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return service.refresh(uow, self.refresh_token)

    def audited(self, canonical: dict[str, Any]) -> dict[str, Any]:
        return {"refresh_token": REDACTED}


@dataclass(frozen=True, slots=True)
class SignOut(Command):
    name: ClassVar[str] = "sign_out"
    permission: ClassVar[str] = "session.self"

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        session_id = None if ctx.principal is None else ctx.principal.session_id
        return service.sign_out(uow, session_id, ctx.actor)


@dataclass(frozen=True, slots=True)
class IssueBorrowerToken(Command):
    name: ClassVar[str] = "issue_borrower_token"
    permission: ClassVar[str] = "borrower_token.issue"

    customer_id: int

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return service.issue_borrower_token(uow, self.customer_id)


@dataclass(frozen=True, slots=True)
class AddUser(Command):
    """A new operator. Granting roles is a role change: it needs a checker, unless the maker
    is the only active administrator (a fresh installation has nobody else to ask)."""

    name: ClassVar[str] = "add_user"
    permission: ClassVar[str] = "users.roles"

    username: str
    roles: tuple[str, ...]
    agency_code: str | None = None  # (no password: a pending command is kept as proposed, and
    # a secret has no place there; ``SetPassword`` follows)

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return _user_view(service.add_user(uow, self.username, self.roles, None,
                                           self.agency_code, ctx.actor, ctx.now))

    def needs_checker(self, conn: Connection) -> str | None:
        return _role_change(conn, f"grants {', '.join(self.roles)} to {self.username}")


@dataclass(frozen=True, slots=True)
class SetRoles(Command):
    name: ClassVar[str] = "set_roles"
    permission: ClassVar[str] = "users.roles"

    username: str
    roles: tuple[str, ...]

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return _user_view(service.set_roles(uow, self.username, self.roles))

    def needs_checker(self, conn: Connection) -> str | None:
        return _role_change(conn, f"sets {self.username}'s roles to {', '.join(self.roles)}")


def _role_change(conn: Connection, what: str) -> str | None:
    if len(service.active_administrators(conn)) <= 1:
        return None  # the sole administrator: nobody to ask (audited like any command)
    return f"a role change ({what})"


@dataclass(frozen=True, slots=True)
class SetPassword(Command):
    name: ClassVar[str] = "set_password"
    permission: ClassVar[str] = "users.manage"

    username: str
    password: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return _user_view(service.set_password(uow, self.username, self.password))

    def audited(self, canonical: dict[str, Any]) -> dict[str, Any]:
        return {"username": self.username, "password": REDACTED}


@dataclass(frozen=True, slots=True)
class DisableUser(Command):
    name: ClassVar[str] = "disable_user"
    permission: ClassVar[str] = "users.manage"

    username: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return _user_view(service.disable_user(uow, self.username))


@dataclass(frozen=True, slots=True)
class AddClient(Command):
    name: ClassVar[str] = "add_api_client"
    permission: ClassVar[str] = "clients.manage"

    client_id: str
    scope: str
    merchant_id: str | None = None

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return service.add_client(uow, self.client_id, self.scope, self.merchant_id,
                                  ctx.actor, ctx.now)


@dataclass(frozen=True, slots=True)
class RevokeClient(Command):
    name: ClassVar[str] = "revoke_api_client"
    permission: ClassVar[str] = "clients.manage"

    client_id: str

    def run(self, uow: UnitOfWork, ctx: Context) -> Result:
        return service.revoke_client(uow, self.client_id)
