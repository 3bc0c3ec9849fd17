"""Shared FastAPI dependencies: the engine, and money/idempotency header helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request
from pydantic import Field
from sqlalchemy import Engine


async def get_engine(request: Request) -> Engine:
    """``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency on a worker
    thread, a hop per request for a field read."""
    engine: Engine = request.app.state.engine
    return engine


# Ids are BIGINT: a number outside 1..2^63-1 is refused at the edge (422 naming the field)
# instead of overflowing in the database driver.
ID_MAX = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=ID_MAX, description="an id (1 to 2^63-1)")]
IdField = Annotated[int, Field(ge=1, le=ID_MAX, description="an id (1 to 2^63-1)")]
