"""What the API asks of every request: who calls (the pipeline) and may they (each route).

:func:`authenticate` is called by ``api.app.RequestPipeline`` for every request but the public
paths (:data:`PUBLIC_PATHS`: health, sign-in, refresh, and the API's own description). It reads
``Authorization: Bearer <token>`` (lendcore's own token, or the configured identity provider's,
told apart by the token's issuer) or ``X-API-Key: <client_id>.<secret>``; no credentials, or
refused ones, end the request with 401 before any route runs.

Every route declares its one permission with ``dependencies=[allow("loan.repay")]``; a
principal without it gets 403 and nothing runs. For a principal limited to its own records (a
borrower, a merchant client, a collector), the route's path ids (``loan_id``, ``line_id``,
``customer_id``, ``case_id``, ``decision_id``) are checked against its scope (``lendcore.scope``)
before the route runs; commands are checked again by the runner.

Checking a session costs a database read; its answer is kept :data:`SESSION_CACHE_SECONDS` per
process (a revoked session is refused by this process at once and by the others within that
time), as is an API key's.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Engine

from lendcore import scope
from lendcore.access import oidc, service, tokens
from lendcore.errors import Forbidden, Unauthorized
from lendcore.principal import Principal
from lendcore.runner import query

PUBLIC_PATHS = frozenset({"/health", "/auth/token", "/auth/refresh", "/openapi.json", "/docs",
                          "/docs/oauth2-redirect", "/redoc"})
SESSION_CACHE_SECONDS = 1.0
_SESSIONS: dict[str, float] = {}  # session id -> when it was last found active
_KEYS: dict[str, tuple[float, Principal]] = {}  # API key digest -> (when checked, principal)
_AGENCIES: dict[str, tuple[float, str | None]] = {}
# A token verified once is not verified again: the same string under the same key gives the same
# claims until it expires (its session is still checked on every request).
_VERIFIED: dict[str, tuple[bytes, float, Principal]] = {}  # token -> (key, expires, principal)
VERIFIED_TOKENS_KEPT = 10_000
PATH_SUBJECTS = {"loan_id": "loan", "line_id": "line", "customer_id": "customer",
                 "case_id": "case", "decision_id": "decision"}

bearer_scheme = HTTPBearer(auto_error=False, description="a lendcore access token (POST "
                           "/auth/token) or the configured identity provider's")
key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False,
                          description="a machine client's API key: <client_id>.<secret>")


def security_schemes() -> dict[str, Any]:
    """The credentials the API takes, for its OpenAPI document (``api.app``): each operation
    but the public ones lists them. Documented there rather than declared as FastAPI security
    dependencies, which would run on every request to read headers the pipeline already read."""
    return {type(s).__name__: s.model.model_dump(mode="json", by_alias=True, exclude_none=True)
            for s in (bearer_scheme, key_scheme)}


def forget_session(session_id: str) -> None:
    """This process stops trusting ``session_id`` at once (sign-out, a role change)."""
    _SESSIONS.pop(session_id, None)


def forget_all() -> None:
    _SESSIONS.clear()
    _KEYS.clear()
    _AGENCIES.clear()
    _VERIFIED.clear()


async def authenticate(engine: Engine, headers: MutableMapping[bytes, bytes]) -> Principal:
    """The principal of a request's credentials, or :class:`Unauthorized`."""
    authorization = headers.get(b"authorization")
    api_key = headers.get(b"x-api-key")
    if authorization is not None and api_key is not None:
        raise Unauthorized("send one credential: a bearer token or an API key",
                           code="unauthorized")
    if api_key is not None:
        return await _by_key(engine, api_key.decode("latin-1"))
    if authorization is None:
        raise Unauthorized("sign in first: POST /auth/token, then send Authorization: Bearer "
                           "<access_token> (machine clients: X-API-Key)")
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    provider = oidc.settings()
    if provider is not None and tokens.unverified_issuer(token) == provider.issuer:
        return await anyio.to_thread.run_sync(oidc.verify, token)
    principal = _verified(token)
    await _session_active(engine, principal)
    if "agency_collector" in principal.roles:
        principal = await _with_agency(engine, principal)
    return principal


def _verified(token: str) -> Principal:
    """The principal of a lendcore access token: PyJWT's checks (signature, audience, issuer,
    times) the first time this process sees the token, then only its expiry, until it expires
    or the signing key changes. The HMAC and base64 work is most of a token's cost."""
    key = tokens.signing_key()
    now = time.time()
    found = _VERIFIED.get(token)
    if found is not None and found[0] == key and now <= found[1] + tokens.LEEWAY_SECONDS:
        return found[2]
    claims = tokens.verify(token)
    principal = service.principal_of_claims(claims)
    if len(_VERIFIED) >= VERIFIED_TOKENS_KEPT:
        _VERIFIED.clear()
    _VERIFIED[token] = (key, float(claims["exp"]), principal)
    return principal


async def _session_active(engine: Engine, principal: Principal) -> None:
    sid = principal.session_id
    assert sid is not None
    seen = _SESSIONS.get(sid)
    now = time.monotonic()
    if seen is not None and now - seen < SESSION_CACHE_SECONDS:
        return
    active = await anyio.to_thread.run_sync(query, engine, service.session_active, sid)
    if not active:
        _SESSIONS.pop(sid, None)
        raise Unauthorized("the session has ended (signed out, or its user changed); sign in "
                           "again", code="session_ended")
    _SESSIONS[sid] = now


async def _with_agency(engine: Engine, principal: Principal) -> Principal:
    from dataclasses import replace

    found = _AGENCIES.get(principal.actor)
    now = time.monotonic()
    if found is None or now - found[0] >= SESSION_CACHE_SECONDS:
        agency = await anyio.to_thread.run_sync(query, engine, service.agency_of,
                                                principal.actor)
        found = (now, agency)
        _AGENCIES[principal.actor] = found
    return replace(principal, agency_code=found[1])


async def _by_key(engine: Engine, api_key: str) -> Principal:
    digest = tokens.digest(api_key)
    found = _KEYS.get(digest)
    now = time.monotonic()
    if found is not None and now - found[0] < SESSION_CACHE_SECONDS:
        return found[1]
    principal: Principal = await anyio.to_thread.run_sync(query, engine,
                                                          service.principal_of_key, api_key)
    _KEYS[digest] = (now, principal)
    return principal


class Allow:
    """The dependency each route declares: its one permission (and the caller's scope)."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:  # the pipeline lets no such request through; refuse anyway
            raise Unauthorized("sign in first")
        if not principal.may(self.permission):
            if request.method != "GET":  # a refused write attempt is in the audit trail too
                await anyio.to_thread.run_sync(_audit_refusal, request, principal)
            raise Forbidden(f"{principal.actor} ({principal.role or 'no role'}) lacks the "
                            f"permission {self.permission!r}")
        if scope.restricted(principal):
            subjects = [(kind, int(str(value))) for name, kind in PATH_SUBJECTS.items()
                        if _an_id(value := request.path_params.get(name))]
            if subjects:
                await anyio.to_thread.run_sync(_check_subjects, request.app.state.engine,
                                               principal, subjects)
        return principal


def _audit_refusal(request: Request, principal: Principal) -> None:
    """A write refused by its route's permission, as an audit record ``forbidden``."""
    import json

    from lendcore import audit
    from lendcore.runner import Context
    from lendcore.store.uow import UnitOfWork

    client = request.client
    who = Context(now=request.app.state.clock.now(), actor=principal.actor,
                  origin=f"api {client.host if client is not None else 'unknown'}",
                  role=principal.role, principal=principal)
    route = request.scope.get("route")
    what = f"{request.method} {getattr(route, 'path', request.url.path)}"
    payload = json.dumps({"path_params": dict(request.path_params)}, sort_keys=True)
    with UnitOfWork(request.app.state.engine) as uow:
        audit.append(uow, audit.entry(who, what[:200], payload, "forbidden"))
        uow.commit()


def _an_id(value: Any) -> bool:
    """A path id worth checking (anything else is refused by the route's validation)."""
    return isinstance(value, str) and value.isdigit() and 0 < int(value) < 2**63


def _check_subjects(engine: Engine, principal: Principal,
                    subjects: list[scope.Subject]) -> None:
    def check(conn: Any) -> None:
        for subject in subjects:
            scope.check(conn, principal, subject)

    query(engine, check)


def allow(permission: str) -> Any:
    """``dependencies=[allow("loan.repay")]``: the route's permission."""
    return Depends(Allow(permission))


def public() -> Any:
    """Declares a route open to anonymous callers (health, sign-in): listed in
    :data:`PUBLIC_PATHS` too, which the pipeline reads."""
    return Depends(_Public())


class _Public:
    permission = None

    async def __call__(self) -> None:
        return None
