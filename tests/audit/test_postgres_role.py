"""On PostgreSQL an application role that does not own the table cannot change audit rows.

The role gets what an application needs (read and write every table, EXECUTE on functions),
minus INSERT/UPDATE/DELETE/TRUNCATE on ``audit_log``: it still runs commands (the append is the
``SECURITY DEFINER`` function), and every direct change of the log is refused; it cannot take
the trigger off either (only the owner may)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from lendcore import audit
from lendcore.runner import execute
from lendcore.store.db import make_engine
from tests.audit.helpers import CTX, Note, notes


@pytest.mark.postgres
def test_the_application_role_appends_through_the_function_and_changes_nothing_directly(
        engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    notes(engine, 2)
    role = f"lc_app_{uuid.uuid4().hex[:10]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                          f"TO {role}"))
        conn.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        conn.execute(text(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}"))
    app = make_engine(engine.url.set(username=role).render_as_string(hide_password=False))
    try:
        execute(app, Note("as-app"), ctx=CTX)  # the append goes through the function
        for statement in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1",
                          "DELETE FROM audit_log WHERE seq = 1",
                          "TRUNCATE audit_log",
                          "INSERT INTO audit_log SELECT seq + 10, at, actor, role, origin, "
                          "command, payload, outcome, idempotency_key, prev_hash, hash "
                          "FROM audit_log WHERE seq = 3",
                          "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"):
            with app.connect() as conn, pytest.raises(DBAPIError,
                                                      match=r"permission denied|must be owner"):
                conn.execute(text(statement))
        verdict = audit.verify(app)
        assert verdict.intact and verdict.records == 3
    finally:
        app.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
