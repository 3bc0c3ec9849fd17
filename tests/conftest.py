"""Shared fixtures: a fresh database per test run on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (trust auth, user postgres); each run creates its own
database and drops it at the end. When ``CI`` is set a PostgreSQL test that cannot connect fails;
otherwise it is skipped with the reason.

The suite runs in development mode with the development key ring (``lendcore.pii.keyring``),
whatever the shell exports: a test that needs production mode or a key ring file sets it itself
(``tests/pii``). Subprocesses (the CLI, servers) inherit it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, text

from lendcore.store.db import make_engine, upgrade

os.environ["LENDCORE_MODE"] = "development"
for _name in ("LENDCORE_KEYRING", "LENDCORE_ID_HASH_KEY"):
    os.environ.pop(_name, None)

PG_ADMIN_URL = os.environ.get(
    "LENDCORE_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_admin() -> Engine | None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # the server is down or unreachable
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is unreachable in CI: {exc}")
        return None
    return engine


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (worker)."""
    admin = _pg_admin()
    if admin is None:
        pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable (set CI to fail instead)")
    name = f"lendcore_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/lendcore.db"


@contextmanager
def fresh_database(kind: str, directory: object, pg_server_url: str | None = None,
                   prefix: str = "lc") -> Iterator[Engine]:
    """A new migrated database, dropped afterwards: a SQLite file in ``directory``, or a
    PostgreSQL database on the server of ``pg_server_url`` (any database URL on it)."""
    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{directory}/{prefix}_{uuid.uuid4().hex[:8]}.db")
        upgrade(eng)
        yield eng
        eng.dispose()
        return
    assert pg_server_url is not None
    server = pg_server_url.rsplit("/", 1)[0]
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    eng = make_engine(f"{server}/{name}")
    try:
        upgrade(eng)
        yield eng
    finally:
        eng.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    """A migrated engine on SQLite and on PostgreSQL (each test gets clean tables)."""
    server = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    with fresh_database(request.param, tmp_path, server) as eng:
        yield eng


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests hash and verify with argon2id at its smallest cost: the same code path and a real
    argon2id hash (its parameters travel in the hash, so verification is unchanged), without
    paying the production profile's ~50-100 ms on every test operator added or signed in.
    ``tests/access/test_password_profile.py`` holds the production parameters."""
    from argon2 import PasswordHasher

    from lendcore.access import passwords

    monkeypatch.setattr(passwords, "_HASHER",
                        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
