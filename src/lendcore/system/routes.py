"""``GET /health`` (no database) and ``GET /business-date`` (the server's open day)."""

from __future__ import annotations

from fastapi import APIRouter

from lendcore.access.guard import allow, public
from lendcore.clock import business_date
from lendcore.runner import query
from lendcore.web import EngineDep

router = APIRouter(tags=["system"])


@router.get("/health", dependencies=[public()])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/business-date", dependencies=[allow("system.read")])
def get_business_date(engine: EngineDep) -> dict[str, str]:
    """The open business date; only the nightly run moves it."""
    return {"business_date": query(engine, business_date).isoformat()}
