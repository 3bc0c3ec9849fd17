"""Shared FastAPI dependencies: the engine, the command context (server clock), ids, keys.

Lives below the routers (every area's routes import it) and above nothing of theirs; the app
itself (``api.app``) sits on top, beside the composition (``wiring``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import Engine

from lendcore.runner import Command, Context, execute


async def get_engine(request: Request) -> Engine:
    """``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency on a worker
    thread, a hop per request for a field read."""
    engine: Engine = request.app.state.engine
    return engine


async def get_context(request: Request) -> Context:
    """Who calls, from where and when: the server's clock, never a date from the request; the
    origin is the client's address as the server sees it (``api 127.0.0.1``)."""
    client = request.client
    principal = getattr(request.state, "principal", None)  # set by the pipeline (sign-in)
    return Context(now=request.app.state.clock.now(),
                   actor="anonymous" if principal is None else principal.actor,
                   origin=f"api {client.host if client is not None else 'unknown'}",
                   role=None if principal is None else principal.role, principal=principal)


EngineDep = Annotated[Engine, Depends(get_engine)]
ContextDep = Annotated[Context, Depends(get_context)]
KeyHeader = Annotated[str | None, Header(alias="Idempotency-Key",
                                         description="idempotency key (1-128 characters)")]

# Ids are BIGINT: a number outside 1..2^63-1 is refused at the edge (422 naming the field)
# instead of overflowing in the database driver.
ID_MAX = 2**63 - 1
IdPath = Annotated[int, Path(ge=1, le=ID_MAX, description="an id (1 to 2^63-1)")]
IdField = Annotated[int, Field(ge=1, le=ID_MAX, strict=True, description="an id (1 to 2^63-1)")]


def run(engine: Engine, ctx: Context, command: Command, key: str | None = None) -> Any:
    """Execute a command built from the request (``runner.execute``). A command that needs a
    second person is stored instead of run: 202 with its pending id (``lendcore.pending``)."""
    result = execute(engine, command, ctx=ctx, key=key)
    if isinstance(result, dict) and result.get("status") == "pending_approval":
        return JSONResponse(result, status_code=202)
    return result
