"""The FastAPI application: one request pipeline for every route.

Every request, the decision route included, passes through the same path: the
:class:`RequestPipeline` (an ASGI middleware: content type, body size; the place where sign-in,
permissions and audit go), then FastAPI's routing and validation, then the route, which builds a
command and runs it. A guard added to the pipeline therefore covers every route; there is no
fast path around it. The routers come from the composition (``lendcore.wiring.routers``).

Every error has one shape, mapped here once: ``{"error": code, "detail": text, "field": name}``.

- a body that is not JSON: 400 ``invalid_json``;
- a body with another content type than ``application/json``: 415 ``unsupported_media_type``;
- a body over :data:`MAX_BODY_BYTES`: 413 ``too_large``;
- a request that fails validation: 422 ``invalid_input`` naming the first invalid field;
- a refused command: its own code and status (``LendcoreError``);
- the database unreachable or failing over: 503 ``database_unavailable`` with ``Retry-After``
  (``store.db.DatabaseUnavailable``, or any error ``store.db.is_unavailable`` recognises);
  the client retries with the same ``Idempotency-Key``;
- anything unexpected: 500 ``internal``, no traceback in the body.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lendcore.access import guard
from lendcore.clock import Clock, clock_from_environment
from lendcore.errors import LendcoreError
from lendcore.store.db import DatabaseUnavailable, is_unavailable

log = logging.getLogger("lendcore.api")

MAX_BODY_BYTES = 256 * 1024
_BODY_METHODS = {b"POST", b"PUT", b"PATCH", "POST", "PUT", "PATCH"}


def error_body(code: str, detail: str, field: str | None) -> dict[str, Any]:
    return {"error": code, "detail": detail, "field": field}


def _field_of(loc: Any) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or None


def lendcore_error_response(exc: LendcoreError) -> JSONResponse:
    if isinstance(exc, DatabaseUnavailable):
        return database_unavailable_response(exc)
    return JSONResponse(exc.as_dict(), status_code=exc.http_status)


def database_unavailable_response(exc: BaseException) -> JSONResponse:
    """503 with ``Retry-After``: the database is gone or failing over; whether the request was
    applied is not known, and a retry with the same idempotency key applies it exactly once.
    The driver's message (hosts, ports) is logged, not sent."""
    log.warning("database unavailable: %s", exc)
    body = error_body(DatabaseUnavailable.code, "the database is unavailable (restarting or "
                      "failing over); retry with the same Idempotency-Key", None)
    body["code"] = DatabaseUnavailable.code
    return JSONResponse(body, status_code=DatabaseUnavailable.http_status,
                        headers={"Retry-After": str(DatabaseUnavailable.retry_after_seconds)})


def validation_error_response(errors: Sequence[Any]) -> JSONResponse:
    """422 naming the first invalid field; a body that is not JSON at all is a 400."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return JSONResponse(error_body(
            "invalid_json", f"the body is not valid JSON ({first.get('msg', 'decode error')}"
            f"{_position(first)})", None), status_code=400)
    field = _field_of(first.get("loc", ()))
    detail = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
    return JSONResponse(error_body("invalid_input", detail, field), status_code=422)


def _position(error: Any) -> str:
    ctx = error.get("ctx") or {}
    return f" at character {ctx['error'].pos}" if hasattr(ctx.get("error"), "pos") else ""


def unexpected_error_response(exc: BaseException) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(error_body("internal", "internal error", None), status_code=500)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(StarletteHTTPException):
    """Raised from ``receive``: FastAPI re-raises HTTP exceptions met while reading a body."""

    def __init__(self) -> None:
        super().__init__(413, f"the body is over {MAX_BODY_BYTES} bytes")


class RequestPipeline:
    """What every HTTP request passes before its route (a pure ASGI middleware): who calls
    (``access.guard.authenticate``: no credentials or refused ones are a 401 before any
    route, except on the public paths); then a body must be JSON and at most
    :data:`MAX_BODY_BYTES`. Each route then declares its permission (``guard.allow``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        if scope["path"] not in guard.PUBLIC_PATHS:
            try:
                principal = await guard.authenticate(scope["app"].state.engine, headers)
            except LendcoreError as exc:  # 401: who calls is unknown; nothing runs
                response = lendcore_error_response(exc)
                response.headers["WWW-Authenticate"] = 'Bearer realm="lendcore"'
                await response(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = principal
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        length = headers.get(b"content-length")
        has_body = b"transfer-encoding" in headers or (length is not None and length != b"0")
        if has_body:
            refusal = _content_refusal(headers, length)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, _bounded(receive), send)


def _content_refusal(headers: dict[bytes, bytes], length: bytes | None) -> JSONResponse | None:
    kind = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if kind != b"application/json":
        shown = kind.decode("latin-1") or "none"
        return JSONResponse(error_body(
            "unsupported_media_type", f"a body must be application/json (got {shown})",
            "Content-Type"), status_code=415)
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        return _too_large()
    return None


def _too_large() -> JSONResponse:
    return JSONResponse(error_body("too_large", f"the body is over {MAX_BODY_BYTES} bytes",
                                   None), status_code=413)


def _bounded(receive: Receive) -> Receive:
    """``receive`` that stops a body (e.g. chunked) growing past the limit."""
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise _TooLarge
        return message

    return bounded


DEFAULT_WORKER_THREADS = 10  # for a pool without a fixed size


def _pool_capacity(engine: Engine) -> int:
    """The connections the engine's pool keeps (10 on PostgreSQL, 5 for a SQLite file)."""
    size = getattr(engine.pool, "size", None)
    return int(size()) if callable(size) else DEFAULT_WORKER_THREADS


def create_app(engine: Engine | None = None, clock: Clock | None = None) -> FastAPI:
    from lendcore import wiring
    from lendcore.access.tokens import require_signing_key
    from lendcore.pii import require_keys
    from lendcore.store.db import checkpoint_in_background, make_engine, upgrade

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # As many worker threads as the pool keeps connections: with anyio's default of 40,
        # a burst checked out 40 connections, the 30 above PostgreSQL's pool of 10 closed on
        # return, and every new one cost PostgreSQL a backend process. Requests beyond this
        # wait on the event loop, which costs nothing.
        anyio.to_thread.current_default_thread_limiter().total_tokens = _pool_capacity(
            _app.state.engine)
        yield

    require_keys()  # the server refuses to start with development keys outside development mode
    require_signing_key()  # ... and with the development token key
    app = FastAPI(title="lendcore", version="0.1.0", description="Consumer-credit core API.",
                  lifespan=lifespan)
    if engine is None:
        engine = make_engine()
        upgrade(engine)
        checkpoint_in_background(engine)
    app.state.engine = engine
    app.state.clock = clock or clock_from_environment()
    app.add_middleware(RequestPipeline)
    _error_handlers(app)
    for router in wiring.routers():
        app.include_router(router)
    _document_permissions(app, api_routes())
    # Everything built so far (modules, routes, schemas, the engine) lives as long as the
    # process: moved out of the collector's generations, a full collection no longer walks it,
    # so it stops showing as a multi-millisecond pause in a request's latency.
    gc.freeze()
    return app


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LendcoreError)
    async def _lendcore_error(_req: Request, exc: LendcoreError) -> JSONResponse:
        return lendcore_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_error_response(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail), None), status_code=exc.status_code)

    # SQLAlchemy's errors, not only the driver's: cleaning up after a lost connection raises
    # e.g. PendingRollbackError, whose context is the lost connection.
    @app.exception_handler(SQLAlchemyError)
    async def _database_error(_req: Request, exc: SQLAlchemyError) -> JSONResponse:
        if is_unavailable(exc):
            return database_unavailable_response(exc)
        raise exc  # to the catch-all below, as any other unexpected error

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):  # raised before routing (sign-in reads the database)
            return database_unavailable_response(exc)
        return unexpected_error_response(exc)


def api_routes() -> list[Any]:
    """Every API route, as its router declares it (path with the router's prefix)."""
    from fastapi.routing import APIRoute

    from lendcore import wiring

    return [r for router in wiring.routers() for r in router.routes if isinstance(r, APIRoute)]


def _document_permissions(app: FastAPI, routes: list[Any]) -> None:
    """Each operation in the OpenAPI document names its permission (``x-permission``; null:
    public) and the credentials it takes (``security``, but for the public ones)."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version,
                             description=app.description, routes=app.routes)
        schemes = guard.security_schemes()
        schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(schemes)
        for route in routes:
            permission = route_permission(route)
            for method in route.methods:
                operation = schema["paths"][route.path_format].get(method.lower())
                if operation is not None:
                    operation["x-permission"] = permission
                    if permission is not None:
                        operation["security"] = [{name: []} for name in schemes]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def route_permission(route: Any) -> str | None:
    """The permission a route declares (``guard.allow``), None for a public one; a route that
    declares neither is a ``RuntimeError`` (tests hold every route to one)."""
    found = [d.call for d in route.dependant.dependencies
             if isinstance(d.call, (guard.Allow, guard._Public))]
    if len(found) != 1:
        raise RuntimeError(f"{route.path} declares {len(found)} permissions (one is needed)")
    permission: str | None = found[0].permission
    return permission
