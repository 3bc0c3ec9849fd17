"""Shared FastAPI dependencies: the engine, and money/idempotency header helpers."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import Engine


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine
