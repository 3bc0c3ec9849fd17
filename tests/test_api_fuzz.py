"""No input produces a 500, and nothing is done for a caller without credentials: every
operation of the OpenAPI schema, fuzzed by schemathesis.

Schemathesis generates requests from the app's own schema (valid and invalid ones). Signed in as
an administrator, the server never answers with a 5xx (a user's mistake is a 4xx in the one
error shape). Without credentials (or with whatever the generator puts in the headers) no
operation but the public health check answers 2xx. Runs in-process (ASGI) on a fresh SQLite
book with a business date.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from lendcore.access import service
from lendcore.api.app import create_app
from lendcore.clock import init_business_date
from lendcore.store.db import make_engine, upgrade
from lendcore.store.uow import UnitOfWork
from tests.auth import PASSWORD


def _app(directory: Path):  # type: ignore[no-untyped-def]
    return _app_and_token(directory)[0]


def _app_and_token(directory: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{directory}/fuzz.db")
    upgrade(engine)
    with UnitOfWork(engine) as uow:
        init_business_date(uow.conn, date(2026, 3, 2))
        service.add_user(uow, "fuzz.admin", ("administrator",), PASSWORD, None, "tests",
                         datetime.now(UTC))
        token = service.sign_in(uow, "fuzz.admin", PASSWORD)["access_token"]
        uow.commit()
    return create_app(engine), f"Bearer {token}"


_DIR = Path(tempfile.mkdtemp(prefix="lendcore-fuzz-"))
atexit.register(shutil.rmtree, _DIR, ignore_errors=True)
_APP, _BEARER = _app_and_token(_DIR)
schema = schemathesis.openapi.from_asgi("/openapi.json", _APP)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": _BEARER}, checks=[not_a_server_error])


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
def test_nothing_succeeds_without_credentials(case: schemathesis.Case) -> None:
    response = case.call()
    if case.path == "/health":
        return
    assert not 200 <= response.status_code < 300, (case.method, case.path, response.text)
    assert response.status_code < 500


def test_an_id_beyond_bigint_is_a_422_naming_the_field_not_a_500(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    app, bearer = _app_and_token(tmp_path)
    with TestClient(app, headers={"Authorization": bearer}) as client:
        r = client.get(f"/loans/{2**70}")
        assert r.status_code == 422 and r.json()["field"] == "loan_id"
        r = client.post("/customers", json={"external_ref": "X-1"})
        assert r.status_code == 201
        r = client.post("/customers", json={"external_ref": "X-1"})
        assert r.status_code == 409 and r.json()["field"] == "external_ref"
