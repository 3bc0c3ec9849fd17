"""Signing in, in tests: operators through the real sign-in route, four eyes through the real
approval route. ``signed_in(client, engine)`` makes ``client`` an administrator; ``approve`` has a
second administrator approve a 202 (pending) answer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from lendcore.access import service
from lendcore.store.uow import UnitOfWork

PASSWORD = "test-password-0123"


def add_staff(engine: Engine, username: str, *roles: str, agency: str | None = None) -> None:
    """An operator with a password (once per database)."""
    with UnitOfWork(engine) as uow:
        if service.find_user(uow.conn, username) is None:
            service.add_user(uow, username, roles or ("administrator",), PASSWORD, agency,
                             "tests", datetime.now(UTC))
            uow.commit()


def headers(client: TestClient, engine: Engine, username: str = "admin",
            *roles: str, agency: str | None = None) -> dict[str, str]:
    """The Authorization header of ``username`` (added with ``roles`` if new)."""
    add_staff(engine, username, *roles, agency=agency)
    response = client.post("/auth/token", json={"username": username, "password": PASSWORD},
                           headers={"Authorization": ""})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def signed_in(client: TestClient, engine: Engine, username: str = "admin",
              *roles: str) -> TestClient:
    """``client``, sending ``username``'s token on every request from now on."""
    client.headers.update(headers(client, engine, username, *roles))
    return client


def approve(client: TestClient, engine: Engine, response: Any, checker: str = "checker",
            reason: str = "checked in a test") -> Any:
    """The approval of a 202 (pending) ``response`` by ``checker`` (an administrator)."""
    assert response.status_code == 202, response.text
    pending_id = response.json()["pending_id"]
    return client.post(f"/pending/{pending_id}/approve", json={"reason": reason},
                       headers=headers(client, engine, checker))
