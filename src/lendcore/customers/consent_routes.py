"""HTTP routes for a customer's consents: record one given or withdrawn, read them all.

    POST /customers/{customer_id}/consents   {"purpose": "marketing", "version": "2026-01",
                                              "granted": false, "channel": "phone"}
    GET  /customers/{customer_id}/consents   the current state of every purpose and the history

The time is the server's and the actor the caller (``ctx``), never the body's; a purpose or
channel outside its closed set is a 422 naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter
from pydantic import Field

from lendcore.access.guard import allow
from lendcore.customers import consent_views, consents
from lendcore.customers import operations as ops
from lendcore.edge import Body, Identifier
from lendcore.runner import query
from lendcore.web import ContextDep, EngineDep, IdPath, run

if TYPE_CHECKING:  # mypy sees the plain types; pydantic the checked ones below
    Version = str
else:
    Version = Identifier

router = APIRouter(tags=["consents"])


class ConsentIn(Body):
    purpose: consents.Purpose
    version: Version
    granted: bool = Field(strict=True)
    channel: consents.Channel


@router.post("/customers/{customer_id}/consents", status_code=201,
             dependencies=[allow("consent.record")])
def record_consent(customer_id: IdPath, body: ConsentIn, engine: EngineDep,
                   ctx: ContextDep) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, ops.RecordConsent(
        customer_id, body.purpose, body.version, body.granted, body.channel))
    return result


@router.get("/customers/{customer_id}/consents", dependencies=[allow("consent.read")])
def get_consents(customer_id: IdPath, engine: EngineDep) -> dict[str, Any]:
    return consent_views.consents(query(engine, consents.consents_of, customer_id))
