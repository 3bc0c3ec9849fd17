"""HTTP routes of access: sign-in, sessions, borrower tokens, four eyes.

    POST /auth/token              sign in (public): {"username", "password"} -> tokens
    POST /auth/refresh            a new access token (public): {"refresh_token"}
    POST /auth/sign-out           end this token's session
    GET  /auth/me                 who this token is, with their roles and permissions
    POST /auth/borrower-tokens    a borrower token for one customer
    GET  /pending                 commands waiting for a checker
    GET  /pending/{pending_id}
    POST /pending/{pending_id}/approve   {"reason"}: run it, as the checker
    POST /pending/{pending_id}/reject    {"reason"}
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter

from lendcore import pending
from lendcore.access import operations as ops
from lendcore.access.guard import allow, forget_session, public
from lendcore.edge import Body, Text
from lendcore.principal import Principal
from lendcore.runner import ApprovePending, RejectPending, query
from lendcore.web import ContextDep, EngineDep, IdField, IdPath, run

if TYPE_CHECKING:
    Username = str
    Password = str
    Secret = str
    Reason = str
else:
    Username, Password, Secret, Reason = Text(64), Text(128), Text(128), Text(500)

router = APIRouter(tags=["access"])


class SignInIn(Body):
    username: Username
    password: Password


class RefreshIn(Body):
    refresh_token: Secret


class BorrowerTokenIn(Body):
    customer_id: IdField


class DecisionIn(Body):
    reason: Reason


@router.post("/auth/token", dependencies=[public()])
def sign_in(body: SignInIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    anonymous = replace(ctx, actor=body.username[:64], principal=None, role=None)
    result: dict[str, Any] = run(engine, anonymous, ops.SignIn(body.username, body.password))
    return result


@router.post("/auth/refresh", dependencies=[public()])
def refresh(body: RefreshIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, replace(ctx, principal=None),
                                 ops.Refresh(body.refresh_token))
    return result


@router.post("/auth/sign-out")
def sign_out(engine: EngineDep, ctx: ContextDep,
             who: Annotated[Principal, allow("session.self")]) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, ops.SignOut())
    if who.session_id is not None:
        forget_session(who.session_id)
    return result


@router.get("/auth/me")
async def me(who: Annotated[Principal, allow("session.self")]) -> dict[str, Any]:
    return {"actor": who.actor, "kind": who.kind, "roles": list(who.roles),
            "permissions": sorted(who.permissions), "customer_id": who.customer_id,
            "agency": who.agency_code, "merchant_id": who.merchant_id}


@router.post("/auth/borrower-tokens", status_code=201,
             dependencies=[allow("borrower_token.issue")])
def borrower_token(body: BorrowerTokenIn, engine: EngineDep,
                   ctx: ContextDep) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, ops.IssueBorrowerToken(body.customer_id))
    return result


@router.get("/pending", dependencies=[allow("pending.read")])
def list_pending(engine: EngineDep) -> dict[str, Any]:
    return {"pending": [pending.view(p) for p in query(engine, pending.listing)]}


@router.get("/pending/{pending_id}", dependencies=[allow("pending.read")])
def get_pending(pending_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return pending.view(query(engine, pending.get, pending_id))


@router.post("/pending/{pending_id}/approve", dependencies=[allow("pending.decide")])
def approve(pending_id: IdPath, body: DecisionIn, engine: EngineDep,
            ctx: ContextDep) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, ApprovePending(pending_id, body.reason))
    return result


@router.post("/pending/{pending_id}/reject", dependencies=[allow("pending.decide")])
def reject(pending_id: IdPath, body: DecisionIn, engine: EngineDep,
           ctx: ContextDep) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, RejectPending(pending_id, body.reason))
    return result

