"""Users, sessions and API clients: the one writer of ``users``, ``sessions``, ``api_clients``.

- Operators: :func:`add_user`, :func:`set_roles`, :func:`set_password`, :func:`disable_user`
  (a role change or a disabled user revokes every session of theirs).
- Sign-in: :func:`sign_in` (username and password, argon2) opens a session and returns an
  access token and a refresh token; :func:`refresh` replaces the refresh token (a reused one
  revokes the session: it was stolen or replayed); :func:`sign_out` revokes the session.
- Borrowers: :func:`issue_borrower_token` opens a borrower session limited to one customer.
- Machine clients: :func:`add_client` returns ``<client_id>.<secret>`` once (only the secret's
  SHA-256 is kept); :func:`revoke_client`.
- Requests: :func:`principal_of_token`, :func:`principal_of_key`, and the CLI's
  :func:`local_operator` (on a database with no user, the local operator becomes its first
  administrator).
"""

from __future__ import annotations

import hmac
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from lendcore.access import passwords, policy, tokens
from lendcore.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from lendcore.principal import BORROWER, CLIENT, OPERATOR, Principal
from lendcore.store.access_tables import api_clients, sessions, users
from lendcore.store.core_tables import customers
from lendcore.store.uow import UnitOfWork

NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,63}")
NAME_RULE = "2 to 64 characters: lower-case letters, digits and . _ -, starting with a letter"


def _wall() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def check_username(name: str, field: str = "username") -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(f"must be {NAME_RULE}", field=field)
    return name


def check_roles(roles: tuple[str, ...], field: str = "roles") -> tuple[str, ...]:
    if not roles:
        raise InvalidInput("at least one role", field=field)
    for role in roles:
        if role not in policy.STAFF_ROLES:
            raise InvalidInput(f"unknown role {role!r}; accepted: "
                               f"{', '.join(policy.STAFF_ROLES)}", field=field)
    return tuple(sorted(set(roles)))


@dataclass(frozen=True, slots=True)
class User:
    username: str
    roles: tuple[str, ...]
    agency_code: str | None
    disabled: bool
    has_password: bool
    created_at: datetime
    created_by: str


def _user(row: Any) -> User:
    return User(row.username, _split(row.roles), row.agency_code, bool(row.disabled),
                row.password_hash is not None, row.created_at, row.created_by)


def _split(roles: str) -> tuple[str, ...]:
    return tuple(r for r in roles.split(",") if r)


def find_user(conn: Connection, username: str) -> User | None:
    row = conn.execute(select(users).where(users.c.username == username)).first()
    return None if row is None else _user(row)


def get_user(conn: Connection, username: str) -> User:
    found = find_user(conn, username)
    if found is None:
        raise NotFound(f"no user {username!r}", field="username")
    return found


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def active_administrators(conn: Connection) -> list[str]:
    return [u.username for u in list_users(conn)
            if not u.disabled and "administrator" in u.roles]


def add_user(uow: UnitOfWork, username: str, roles: tuple[str, ...], password: str | None,
             agency_code: str | None, actor: str, now: datetime) -> User:
    check_username(username)
    roles = check_roles(roles)
    if "agency_collector" in roles and not agency_code:
        raise InvalidInput("an agency collector needs the agency's code", field="agency")
    if find_user(uow.conn, username) is not None:
        raise Conflict(f"user {username!r} exists", field="username", code="user_exists")
    uow.conn.execute(users.insert().values(
        username=username, roles=",".join(roles),
        password_hash=None if password is None else passwords.hash_password(password),
        agency_code=agency_code, disabled=False, created_at=now, created_by=actor))
    return get_user(uow.conn, username)


def set_roles(uow: UnitOfWork, username: str, roles: tuple[str, ...]) -> User:
    roles = check_roles(roles)
    get_user(uow.conn, username)
    uow.conn.execute(users.update().where(users.c.username == username)
                     .values(roles=",".join(roles)))
    revoke_sessions(uow, username, "roles changed")
    return get_user(uow.conn, username)


def set_password(uow: UnitOfWork, username: str, password: str) -> User:
    get_user(uow.conn, username)
    uow.conn.execute(users.update().where(users.c.username == username)
                     .values(password_hash=passwords.hash_password(password)))
    revoke_sessions(uow, username, "password changed")
    return get_user(uow.conn, username)


def disable_user(uow: UnitOfWork, username: str) -> User:
    found = get_user(uow.conn, username)
    if "administrator" in found.roles and active_administrators(uow.conn) == [username]:
        raise Conflict("the last active administrator cannot be disabled",
                       field="username", code="last_administrator")
    uow.conn.execute(users.update().where(users.c.username == username).values(disabled=True))
    revoke_sessions(uow, username, "user disabled")
    return get_user(uow.conn, username)


def revoke_sessions(uow: UnitOfWork, subject: str, why: str) -> None:
    uow.conn.execute(sessions.update().where(sessions.c.subject == subject,
                                             sessions.c.revoked_at.is_(None))
                     .values(revoked_at=_wall(), revoked_by=why))


# --- sign-in -----------------------------------------------------------------------------------
def _open_session(uow: UnitOfWork, subject: str, kind: str, ttl: timedelta) -> tuple[str, str]:
    session_id, refresh_token = uuid.uuid4().hex, tokens.new_secret()
    now = _wall()
    uow.conn.execute(sessions.insert().values(
        id=session_id, subject=subject, kind=kind, refresh_hash=tokens.digest(refresh_token),
        created_at=now, expires_at=now + ttl))
    return session_id, refresh_token


def _grant(subject: str, kind: str, roles: list[str], session_id: str, refresh_token: str,
           customer_id: int | None = None) -> dict[str, Any]:
    return {"access_token": tokens.issue(subject, kind, roles, session_id,
                                         customer_id=customer_id),
            "token_type": "bearer", "expires_in": int(tokens.ACCESS_TTL.total_seconds()),
            "refresh_token": refresh_token, "roles": roles}


def sign_in(uow: UnitOfWork, username: str, password: str) -> dict[str, Any]:
    row = uow.conn.execute(select(users).where(users.c.username == username)).first()
    # The same refusal (and the same argon2 cost) for an unknown user, a wrong password and a
    # disabled user: nothing tells a guesser which names exist.
    if not passwords.verify(None if row is None else row.password_hash, password) \
            or row is None or row.disabled:
        raise Unauthorized("the username or the password is wrong, or the user is disabled",
                           code="invalid_credentials")
    session_id, refresh_token = _open_session(uow, username, OPERATOR,
                                              tokens.OPERATOR_REFRESH_TTL)
    return _grant(username, OPERATOR, list(_split(row.roles)), session_id, refresh_token)


def refresh(uow: UnitOfWork, refresh_token: str) -> dict[str, Any]:
    digest = tokens.digest(refresh_token)
    row = uow.conn.execute(select(sessions).where(sessions.c.refresh_hash == digest)).first()
    if row is None:
        raise Unauthorized("the refresh token is unknown or was already used",
                           code="token_invalid")
    if row.revoked_at is not None or row.expires_at <= _wall():
        raise Unauthorized("the session has ended; sign in again", code="session_ended")
    new_refresh = tokens.new_secret()
    uow.conn.execute(sessions.update().where(sessions.c.id == row.id)
                     .values(refresh_hash=tokens.digest(new_refresh)))
    if row.kind == BORROWER:
        customer_id = int(row.subject.split(":", 1)[1])
        return _grant(row.subject, BORROWER, [policy.BORROWER], row.id, new_refresh, customer_id)
    user = uow.conn.execute(select(users).where(users.c.username == row.subject)).first()
    if user is None or user.disabled:
        raise Unauthorized("the user is disabled", code="session_ended")
    return _grant(row.subject, OPERATOR, list(_split(user.roles)), row.id, new_refresh)


def sign_out(uow: UnitOfWork, session_id: str | None, actor: str) -> dict[str, Any]:
    if session_id is None:
        raise InvalidInput("this caller has no session to end (an API key or the CLI)",
                           field="Authorization")
    uow.conn.execute(sessions.update().where(sessions.c.id == session_id,
                                             sessions.c.revoked_at.is_(None))
                     .values(revoked_at=_wall(), revoked_by=f"signed out by {actor}"))
    return {"signed_out": True, "session": session_id}


def issue_borrower_token(uow: UnitOfWork, customer_id: int) -> dict[str, Any]:
    if uow.conn.execute(select(customers.c.id).where(customers.c.id == customer_id)) \
            .scalar_one_or_none() is None:
        raise NotFound(f"no customer {customer_id}", field="customer_id")
    subject = f"customer:{customer_id}"
    session_id, refresh_token = _open_session(uow, subject, BORROWER,
                                              tokens.BORROWER_REFRESH_TTL)
    return _grant(subject, BORROWER, [policy.BORROWER], session_id, refresh_token, customer_id)


def session_active(conn: Connection, session_id: str) -> bool:
    row = conn.execute(select(sessions.c.revoked_at, sessions.c.expires_at)
                       .where(sessions.c.id == session_id)).first()
    return row is not None and row.revoked_at is None and row.expires_at > _wall()


def principal_of_claims(claims: dict[str, Any]) -> Principal:
    roles = tuple(str(r) for r in claims["roles"])
    if claims["kind"] == BORROWER:
        cid = claims.get("cid")
        if not isinstance(cid, int) or roles != (policy.BORROWER,):
            raise Unauthorized("a borrower token names one customer", code="token_invalid")
        return Principal(claims["sub"], BORROWER, roles, policy.permissions_of(roles),
                         customer_id=cid, session_id=claims["sid"])
    return Principal(claims["sub"], OPERATOR, roles, policy.permissions_of(roles),
                     session_id=claims["sid"])


def agency_of(conn: Connection, username: str) -> str | None:
    return conn.execute(select(users.c.agency_code).where(users.c.username == username)) \
        .scalar_one_or_none()


# --- machine clients ---------------------------------------------------------------------------
def add_client(uow: UnitOfWork, client_id: str, scope: str, merchant_id: str | None,
               actor: str, now: datetime) -> dict[str, Any]:
    check_username(client_id, "client_id")
    if scope not in policy.CLIENT_SCOPES:
        raise InvalidInput(f"unknown scope {scope!r}; accepted: "
                           f"{', '.join(policy.CLIENT_SCOPES)}", field="scope")
    if (scope == "merchant") != (merchant_id is not None):
        raise InvalidInput("a merchant client names its merchant, and only it",
                           field="merchant")
    if uow.conn.execute(select(api_clients.c.id).where(api_clients.c.client_id == client_id)) \
            .scalar_one_or_none() is not None:
        raise Conflict(f"client {client_id!r} exists", field="client_id", code="client_exists")
    secret = tokens.new_secret()
    uow.conn.execute(api_clients.insert().values(
        client_id=client_id, secret_hash=tokens.digest(secret), scope=scope,
        merchant_id=merchant_id, disabled=False, created_at=now, created_by=actor))
    return {"client_id": client_id, "scope": scope, "merchant_id": merchant_id,
            "api_key": f"{client_id}.{secret}",
            "note": "shown once: only its hash is kept"}


def revoke_client(uow: UnitOfWork, client_id: str) -> dict[str, Any]:
    done = uow.conn.execute(api_clients.update().where(api_clients.c.client_id == client_id)
                            .values(disabled=True))
    if done.rowcount != 1:
        raise NotFound(f"no client {client_id!r}", field="client_id")
    return {"client_id": client_id, "disabled": True}


def list_clients(conn: Connection) -> list[dict[str, Any]]:
    return [{"client_id": r.client_id, "scope": r.scope, "merchant_id": r.merchant_id,
             "disabled": bool(r.disabled), "created_at": r.created_at.isoformat(),
             "created_by": r.created_by}
            for r in conn.execute(select(api_clients).order_by(api_clients.c.client_id))]


def principal_of_key(conn: Connection, api_key: str) -> Principal:
    client_id, _, secret = api_key.partition(".")
    row = conn.execute(select(api_clients).where(api_clients.c.client_id == client_id)).first()
    # compare_digest on the digests: no timing tells how much of a guess matched.
    given = tokens.digest(secret)
    if row is None or not secret or not hmac.compare_digest(given, row.secret_hash) \
            or row.disabled:
        raise Unauthorized("the API key is unknown, wrong or revoked", code="invalid_api_key")
    roles = (row.scope,)
    return Principal(f"client:{client_id}", CLIENT, roles, policy.permissions_of(roles),
                     merchant_id=row.merchant_id)


# --- the CLI's local operator ------------------------------------------------------------------
def local_operator(uow: UnitOfWork, username: str, now: datetime) -> Principal:
    """The principal of the operator running the CLI; on a database with no user yet, that
    operator is made its first administrator (without a password: the API is reached with one
    set by ``lendcore users password``)."""
    count = uow.conn.execute(select(func.count()).select_from(users)).scalar_one()
    if count == 0:
        uow.conn.execute(users.insert().values(
            username=username, roles="administrator", password_hash=None,
            agency_code=None, disabled=False, created_at=now,
            created_by="bootstrap: the first local operator"))
    row = uow.conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise Forbidden(f"the local operator {username!r} is not a lendcore user (set "
                        "LENDCORE_OPERATOR, or ask an administrator: lendcore users add)",
                        field="LENDCORE_OPERATOR")
    if row.disabled:
        raise Forbidden(f"the local operator {username!r} is disabled",
                        field="LENDCORE_OPERATOR")
    roles = _split(row.roles)
    return Principal(username, OPERATOR, roles, policy.permissions_of(roles),
                     agency_code=row.agency_code)
