"""HTTP routes for the merchant registry: parse the body, build the command, run it.

    POST /merchants                          register a merchant (a known id: 409)
    GET  /merchants[?status=active]          the registered merchants, by id
    GET  /merchants/{merchant_id}            one merchant
    POST /merchants/{merchant_id}/status     suspend or reactivate it

A merchant id is an ``edge.Identifier``; a category is a slug (``electronics``); the status is
``active`` or ``suspended``. Registering and changing the status need ``merchant.manage``;
reading needs ``merchant.read``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import Engine

from lendcore.access.guard import allow
from lendcore.edge import IDENTIFIER_PATTERN, Body, Identifier, Text
from lendcore.merchants import operations as ops
from lendcore.merchants import service, views
from lendcore.merchants.model import NAME_MAX
from lendcore.runner import Command, Context, query
from lendcore.web import ContextDep, EngineDep, run

if TYPE_CHECKING:  # mypy sees the plain types; pydantic the checked ones below
    Name = str
    Word = str
else:
    Name, Word = Text(NAME_MAX), Text(32)

router = APIRouter(tags=["merchants"])
MerchantPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, max_length=64,
                                   description="a merchant id")]


def _run(engine: Engine, ctx: Context, command: Command) -> dict[str, Any]:
    result: dict[str, Any] = run(engine, ctx, command)
    return result


class MerchantIn(Body):
    merchant_id: Identifier
    name: Name
    category: Word
    status: Word = "active"


class StatusIn(Body):
    status: Word


@router.post("/merchants", status_code=201, dependencies=[allow("merchant.manage")])
def add_merchant(body: MerchantIn, engine: EngineDep, ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.AddMerchant(body.merchant_id, body.name, body.category,
                                             body.status))


@router.get("/merchants", dependencies=[allow("merchant.read")])
def list_merchants(engine: EngineDep, status: str | None = None) -> dict[str, Any]:
    return views.merchants(query(engine, service.list_merchants, status))


@router.get("/merchants/{merchant_id}", dependencies=[allow("merchant.read")])
def get_merchant(merchant_id: MerchantPath, engine: EngineDep) -> dict[str, Any]:
    return views.merchant(query(engine, service.get_merchant, merchant_id))


@router.post("/merchants/{merchant_id}/status", dependencies=[allow("merchant.manage")])
def set_status(merchant_id: MerchantPath, body: StatusIn, engine: EngineDep,
               ctx: ContextDep) -> dict[str, Any]:
    return _run(engine, ctx, ops.SetMerchantStatus(merchant_id, body.status))
