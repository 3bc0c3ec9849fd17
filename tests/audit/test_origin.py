"""Where a command comes from: the client's address for the API, "cli" for the command line."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lendcore import cli_support
from lendcore.clock import SimulatedClock
from lendcore.errors import LendcoreError
from lendcore.web import ContextDep, EngineDep, run
from tests.audit.helpers import CTX, Note, Refuse, rows


def _app(engine: Engine) -> FastAPI:
    """The shared dependencies every area's routes use (``lendcore.web``), on two routes."""
    app = FastAPI()
    app.state.engine = engine
    app.state.clock = SimulatedClock(CTX.now)

    @app.post("/notes/{text}")
    async def note(text: str, eng: EngineDep, ctx: ContextDep) -> Any:
        return run(eng, ctx, Note(text))

    @app.post("/refusals/{why}")
    async def refuse(why: str, eng: EngineDep, ctx: ContextDep) -> Any:
        try:
            return run(eng, ctx, Refuse(why))
        except LendcoreError as exc:
            return exc.as_dict()

    return app


def test_an_api_command_is_recorded_with_the_clients_address(engine: Engine) -> None:
    with TestClient(_app(engine), client=("203.0.113.7", 50123)) as client:
        assert client.post("/notes/a").json() == {"noted": "a"}
        assert client.post("/refusals/b").json()["error"] == "test_refused"
    records = rows(engine)
    assert [(r.origin, r.outcome) for r in records] == [("api 203.0.113.7", "ok"),
                                                         ("api 203.0.113.7", "test_refused")]
    assert records[0].actor == "anonymous"  # this bare app has no sign-in pipeline
    assert records[0].at == CTX.now  # the server's clock


def test_the_command_line_is_the_origin_of_its_commands(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import lendcore.access.commands  # noqa: F401 (wires the CLI's local operator)

    monkeypatch.setenv("LENDCORE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LENDCORE_OPERATOR", "ops.wang")
    ctx = cli_support.context()
    # the local operator, with their roles: the first one on a fresh database is its administrator
    assert ctx.origin == "cli"
    assert (ctx.actor, ctx.role) == ("ops.wang", "administrator")
