"""Who may do what, through the API: sign-in, tokens, roles, scope, four eyes, API keys.

The outsider's list of issue 13, each item now refused (401/403/409) with nothing changed; the
token attacks (expired, tampered, wrong audience, wrong key, revoked); a borrower reaching only
their own loans; a maker never checking their own command.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from lendcore.access import tokens
from lendcore.api.app import create_app
from lendcore.clock import SimulatedClock
from lendcore.store.access_tables import pending_commands
from lendcore.store.audit_tables import audit_log
from lendcore.store.core_tables import credit_lines
from lendcore.store.servicing_tables import loans
from lendcore.store.uow import UnitOfWork
from tests.auth import PASSWORD, add_staff, approve, headers
from tests.servicing.helpers import start_book

DAY0 = date(2026, 1, 5)


@pytest.fixture()
def client(engine: Engine) -> Iterator[TestClient]:
    start_book(engine, DAY0)
    app = create_app(engine, clock=SimulatedClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC)))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _count(engine: Engine, table: Any) -> int:
    with UnitOfWork(engine, read_only=True) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(table)).scalar_one())


def _book(client: TestClient, engine: Engine) -> dict[str, Any]:
    """A customer, an approved line of 20,000 and a drawn loan, made by administrators."""
    admin = headers(client, engine, "admin")
    customer = client.post("/customers", json={}, headers=admin).json()["customer_id"]
    opened = client.post("/credit-lines", json={"customer_id": customer, "product": "cash-line",
                                                "limit": "20000"}, headers=admin)
    line = approve(client, engine, opened).json()["result"]["line_id"]
    borrower = client.post("/auth/borrower-tokens", json={"customer_id": customer},
                           headers=admin)
    assert borrower.status_code == 201, borrower.text
    bearer = {"Authorization": f"Bearer {borrower.json()['access_token']}"}
    loan = client.post(f"/credit-lines/{line}/draws",
                       headers={**bearer, "Idempotency-Key": f"d-{customer}"},
                       json={"amount": "3000", "installments": 3, "purpose": "travel",
                             "payee": "mi-mall"})
    assert loan.status_code == 201, loan.text
    return {"admin": admin, "customer": customer, "line": line, "borrower": bearer,
            "loan": loan.json()["loan_id"]}


# --- the outsider's list ------------------------------------------------------------------------
OUTSIDER = [
    ("post", "/loans/{loan}/repayments", {"amount": "100"}),
    ("post", "/loans/{loan}/overpayment-refunds", {"amount": "1"}),
    ("post", "/loans/{loan}/refunds", {"amount": "1"}),
    ("post", "/credit-lines/{line}/draws", {"amount": "100", "installments": 3,
                                            "purpose": "travel", "payee": "mi-mall"}),
    ("post", "/customers", {}),
    ("post", "/credit-lines", {"customer_id": 1, "product": "cash-line", "limit": "200000"}),
    ("post", "/credit-lines/{line}/limit", {"limit": "200000", "reason": "x"}),
    ("post", "/reviews/1/outcome", {"outcome": "approve", "reason": "x"}),
    ("post", "/collections/cases/1/plans", {"loan_id": 1, "installments": 60}),
    ("get", "/decisions/1", None),
    ("get", "/collections/cases?role=supervisor", None),
    ("get", "/loans/{loan}", None),
    ("get", "/ledger/balances", None),
    ("get", "/pending", None),
]


@pytest.mark.parametrize(("method", "path", "body"), OUTSIDER)
def test_an_outsider_without_credentials_gets_401_and_changes_nothing(
        client: TestClient, engine: Engine, method: str, path: str, body: Any) -> None:
    book = _book(client, engine)
    before = (_count(engine, loans), _count(engine, credit_lines),
              _count(engine, pending_commands))
    url = path.format(loan=book["loan"], line=book["line"])
    kwargs: dict[str, Any] = {"headers": {"Idempotency-Key": "attack-1"}}
    if body is not None:
        kwargs["json"] = body
    response = client.request(method.upper(), url, **kwargs)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (_count(engine, loans), _count(engine, credit_lines),
            _count(engine, pending_commands)) == before


def test_health_and_sign_in_are_the_only_public_operations(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.post("/auth/token", json={"username": "nobody", "password": "x" * 12}) \
        .status_code == 401
    assert client.get("/business-date").status_code == 401


def test_a_role_without_the_permission_gets_403_and_nothing_changes(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    collector = headers(client, engine, "zhang.collector", "collector")
    before = _count(engine, loans)
    response = client.post(f"/credit-lines/{book['line']}/draws",
                           headers={**collector, "Idempotency-Key": "c1"},
                           json={"amount": "100", "installments": 3, "purpose": "travel",
                                 "payee": "mi-mall"})
    assert response.status_code == 403
    assert "loan.draw" in response.json()["detail"]
    assert client.get("/ledger/balances", headers=collector).status_code == 403
    assert _count(engine, loans) == before


def test_a_refused_command_is_in_the_audit_trail_as_forbidden(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    finance = headers(client, engine, "qian.finance", "finance")
    response = client.post(f"/credit-lines/{book['line']}/limit", headers=finance,
                           json={"limit": "50000", "reason": "no"})
    assert response.status_code == 403
    with UnitOfWork(engine, read_only=True) as uow:
        last = uow.conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert last is not None
    assert (last.actor, last.role, last.outcome) == ("qian.finance", "finance", "forbidden")
    assert last.command == "POST /credit-lines/{line_id}/limit"


# --- borrowers ----------------------------------------------------------------------------------
def test_a_borrower_reaches_their_own_loan_and_no_one_elses(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    other = _book(client, engine)
    mine = client.get(f"/loans/{book['loan']}", headers=book["borrower"])
    assert mine.status_code == 200
    for path in (f"/loans/{other['loan']}", f"/loans/{other['loan']}/schedule",
                 f"/credit-lines/{other['line']}", f"/customers/{other['customer']}"):
        assert client.get(path, headers=book["borrower"]).status_code == 403, path
    repay = client.post(f"/loans/{other['loan']}/repayments", json={"amount": "100"},
                        headers={**book["borrower"], "Idempotency-Key": "r-other"})
    assert repay.status_code == 403
    own = client.post(f"/loans/{book['loan']}/repayments", json={"amount": "100"},
                      headers={**book["borrower"], "Idempotency-Key": "r-own"})
    assert own.status_code == 201, own.text
    # A borrower may not do staff things at all.
    assert client.get("/ledger/balances", headers=book["borrower"]).status_code == 403


# --- tokens -------------------------------------------------------------------------------------
def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {"iss": tokens.ISSUER, "aud": tokens.AUDIENCE, "sub": "admin", "kind": "operator",
              "roles": ["administrator"], "sid": "no-such-session", "iat": now,
              "exp": now + 600, "jti": "j"}
    claims.update(over)
    return claims


def test_tokens_expired_tampered_for_another_audience_or_key_are_refused(
        client: TestClient, engine: Engine) -> None:
    good = headers(client, engine, "admin")["Authorization"].split()[1]
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    sid = jwt.decode(good, options={"verify_signature": False})["sid"]
    key = tokens.signing_key()
    forged = {
        "expired": jwt.encode(_claims(sid=sid, iat=int(time.time()) - 3600,
                                      exp=int(time.time()) - 600), key, algorithm="HS256"),
        "audience": jwt.encode(_claims(sid=sid, aud="another-api"), key, algorithm="HS256"),
        "issuer": jwt.encode(_claims(sid=sid, iss="someone-else"), key, algorithm="HS256"),
        "key": jwt.encode(_claims(sid=sid), b"k" * 32, algorithm="HS256"),
        "none": jwt.encode(_claims(sid=sid), None, algorithm="none"),
        "escalated": _tamper(good),
    }
    for name, token in forged.items():
        response = client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert response.json()["error"] in ("token_expired", "token_invalid"), name


def _tamper(token: str) -> str:
    """The same token with its roles changed in the payload, the signature kept."""
    import base64
    import json

    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["roles"] = ["administrator", "finance"]
    raw = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{head}.{raw}.{sig}"


def test_sign_out_revokes_the_token_and_refresh_rotates(
        client: TestClient, engine: Engine) -> None:
    add_staff(engine, "li.wei", "credit_officer")
    signed = client.post("/auth/token", json={"username": "li.wei", "password": PASSWORD}).json()
    bearer = {"Authorization": f"Bearer {signed['access_token']}"}
    assert client.get("/auth/me", headers=bearer).json()["roles"] == ["credit_officer"]
    renewed = client.post("/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert renewed.status_code == 200
    # The used refresh token is spent.
    again = client.post("/auth/refresh", json={"refresh_token": signed["refresh_token"]})
    assert again.status_code == 401
    assert client.post("/auth/sign-out", headers=bearer).status_code == 200
    assert client.get("/auth/me", headers=bearer).status_code == 401
    new_bearer = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert client.get("/auth/me", headers=new_bearer).json()["error"] == "session_ended"
    later = client.post("/auth/refresh", json={"refresh_token": renewed.json()["refresh_token"]})
    assert later.status_code == 401


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
        client: TestClient, engine: Engine) -> None:
    add_staff(engine, "li.wei", "credit_officer")
    wrong = client.post("/auth/token", json={"username": "li.wei", "password": "not-it-at-all"})
    unknown = client.post("/auth/token", json={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_an_access_token_expires(client: TestClient, engine: Engine) -> None:
    good = headers(client, engine, "admin")["Authorization"].split()[1]
    sid = jwt.decode(good, options={"verify_signature": False})["sid"]
    old = tokens.issue("admin", "operator", ["administrator"], sid, ttl=timedelta(seconds=1),
                       now=time.time() - 60)
    response = client.get("/auth/me", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert response.json()["error"] == "token_expired"


# --- four eyes ----------------------------------------------------------------------------------
def test_a_limit_raise_waits_for_a_second_person_and_runs_as_proposed(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    officer = headers(client, engine, "li.wei", "credit_officer")
    proposed = client.post(f"/credit-lines/{book['line']}/limit", headers=officer,
                           json={"limit": "50000", "reason": "income verified"})
    assert proposed.status_code == 202
    assert client.get(f"/credit-lines/{book['line']}", headers=officer).json()["limit"] \
        == "20000.00"
    # The same proposal again: refused while the first waits.
    twice = client.post(f"/credit-lines/{book['line']}/limit", headers=officer,
                        json={"limit": "50000", "reason": "income verified"})
    assert twice.status_code == 409
    assert twice.json()["error"] == "already_pending"
    pending_id = proposed.json()["pending_id"]
    own = client.post(f"/pending/{pending_id}/approve", headers=officer,
                      json={"reason": "looks fine"})
    assert own.status_code == 403
    assert own.json()["error"] == "own_command"
    collector = headers(client, engine, "zhang.collector", "collector")
    assert client.post(f"/pending/{pending_id}/approve", headers=collector,
                       json={"reason": "x"}).status_code == 403
    checker = headers(client, engine, "zhou.officer", "credit_officer")
    done = client.post(f"/pending/{pending_id}/approve", headers=checker,
                       json={"reason": "payslips seen"})
    assert done.status_code == 200, done.text
    assert done.json()["result"]["line"]["limit"] == "50000.00"
    assert done.json()["result"]["change"]["actor"] == "zhou.officer"
    assert client.get(f"/credit-lines/{book['line']}", headers=officer).json()["limit"] \
        == "50000.00"
    # Decided once: a second approval is a 409.
    assert client.post(f"/pending/{pending_id}/approve", headers=checker,
                       json={"reason": "again"}).status_code == 409


def test_a_limit_cut_with_its_basis_runs_at_once_and_a_rejection_changes_nothing(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    officer = headers(client, engine, "li.wei", "credit_officer")
    proposed = client.post(f"/credit-lines/{book['line']}/limit", headers=officer,
                           json={"limit": "30000", "reason": "manual"})
    assert proposed.status_code == 202
    checker = headers(client, engine, "zhou.officer", "credit_officer")
    rejected = client.post(f"/pending/{proposed.json()['pending_id']}/reject", headers=checker,
                           json={"reason": "no basis"})
    assert rejected.status_code == 200
    assert client.get(f"/credit-lines/{book['line']}", headers=officer).json()["limit"] \
        == "20000.00"


def test_a_large_overpayment_refund_needs_a_checker_and_a_small_one_does_not(
        client: TestClient, engine: Engine) -> None:
    from lendcore.runner import Context
    from lendcore.servicing.operations import RefundOverpayment
    from lendcore.store.uow import UnitOfWork as Uow

    with Uow(engine, read_only=True) as uow:
        assert RefundOverpayment(1, 100_000).needs_checker(uow.conn) is None
        assert RefundOverpayment(1, 100_001).needs_checker(uow.conn) is not None
    assert Context  # (the runner asks only when a principal runs it)


# --- API keys -----------------------------------------------------------------------------------
def test_an_api_key_is_bound_to_its_client_and_scope(client: TestClient, engine: Engine) -> None:
    from lendcore.access.operations import AddClient, RevokeClient
    from lendcore.runner import Context, execute

    book = _book(client, engine)
    now = datetime.now(UTC)
    gateway = execute(engine, AddClient("pay-gw", "gateway"), ctx=Context(now=now))["api_key"]
    repay = client.post(f"/loans/{book['loan']}/repayments", json={"amount": "100"},
                        headers={"X-API-Key": gateway, "Idempotency-Key": "gw-1"})
    assert repay.status_code == 201, repay.text
    # Its scope is repayments only.
    assert client.get(f"/loans/{book['loan']}", headers={"X-API-Key": gateway}).status_code \
        == 403
    assert client.post("/customers", json={}, headers={"X-API-Key": gateway}).status_code == 403
    wrong = gateway[:-4] + "AAAA"
    assert client.get("/business-date", headers={"X-API-Key": wrong}).status_code == 401
    execute(engine, RevokeClient("pay-gw"), ctx=Context(now=now))
    from lendcore.access import guard

    guard.forget_all()
    again = client.post(f"/loans/{book['loan']}/repayments", json={"amount": "1"},
                        headers={"X-API-Key": gateway, "Idempotency-Key": "gw-2"})
    assert again.status_code == 401


# --- every operation x every role --------------------------------------------------------------
def test_every_api_operation_declares_exactly_one_permission(client: TestClient) -> None:
    from lendcore.access.policy import PERMISSIONS
    from lendcore.api.app import api_routes, route_permission

    schema = client.get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schema["components"]["securitySchemes"])
    public = []
    for route in api_routes():
        permission = route_permission(route)
        if permission is None:
            public.append(route.path)
        else:
            assert permission in PERMISSIONS, (route.path, permission)
        for method in route.methods:
            operation = schema["paths"][route.path][method.lower()]
            assert operation["x-permission"] == permission
            if permission is not None:
                assert operation["security"], route.path
    assert sorted(public) == ["/auth/refresh", "/auth/token", "/health"]


def test_every_operation_by_every_role_gets_its_expected_status(
        client: TestClient, engine: Engine) -> None:
    """A role without an operation's permission gets 403 on it; with it, never 401/403 (the
    ids are of no record, so 404 or 422 is the usual answer) except a collector's on a case
    not assigned to them (403: outside their scope)."""
    from lendcore.access.policy import ROLES, STAFF_ROLES
    from lendcore.api.app import api_routes, route_permission

    routes = [(r, m, route_permission(r)) for r in api_routes() for m in r.methods]
    for role in STAFF_ROLES:
        bearer = headers(client, engine, f"user.{role.replace('_', '-')}", role,
                         agency="AG1" if role == "agency_collector" else None)
        for route, method, permission in routes:
            if permission is None or route.path in ("/auth/sign-out",):
                continue
            path = route.path_format
            for name in ("loan_id", "line_id", "customer_id", "case_id", "decision_id",
                         "review_id", "plan_id", "complaint_id", "pending_id"):
                path = path.replace("{" + name + "}", "999999")
            path = path.replace("{code}", "NOPE")
            response = client.request(method, path, json={} if method == "POST" else None,
                                      headers={**bearer, "Idempotency-Key": "matrix-1"})
            scoped_out = role in ("collector", "agency_collector") and "{case_id}" in route.path
            if permission in ROLES[role] and not scoped_out:
                assert response.status_code not in (401, 403), (role, method, path,
                                                                response.text)
            else:
                assert response.status_code == 403, (role, method, path, response.text)


# --- unmasking ----------------------------------------------------------------------------------
def test_unmasking_needs_its_permission_and_a_reason_and_is_audited(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    path = f"/customers/{book['customer']}/unmask"
    officer = headers(client, engine, "li.wei", "credit_officer")
    assert client.post(path, json={"reason": "curious"}, headers=officer).status_code == 403
    auditor = headers(client, engine, "sun.audit", "compliance_auditor")
    assert client.post(path, json={}, headers=auditor).status_code == 422
    assert client.post(path, json={"reason": " "}, headers=auditor).status_code == 422
    answer = client.post(path, json={"reason": "complaint 7: identity check"}, headers=auditor)
    assert answer.status_code == 200, answer.text
    assert answer.json()["customer_id"] == str(book["customer"])
    with UnitOfWork(engine, read_only=True) as uow:
        last = uow.conn.execute(select(audit_log).order_by(audit_log.c.seq.desc())).first()
    assert last is not None
    assert (last.actor, last.command) == ("sun.audit", "read:customer.identity")
    assert "complaint 7" in last.payload


# --- no development secrets outside development mode ------------------------------------------
def test_outside_development_mode_the_server_refuses_the_development_token_key(
        engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from lendcore.errors import ConfigurationError
    from lendcore.pii import keyring
    from tests.pii.helpers import key, write_ring

    ring = tmp_path / "ring.json"
    write_ring(ring, "k1", {"k1": 1})
    monkeypatch.setenv("LENDCORE_KEYRING", str(ring))
    monkeypatch.setenv("LENDCORE_MODE", "production")
    keyring.reload()
    try:
        with pytest.raises(ConfigurationError, match="token_key"):
            create_app(engine)
        document = json.loads(ring.read_text())
        document["token_key"] = key(7)
        ring.write_text(json.dumps(document))
        keyring.reload()
        assert create_app(engine) is not None  # with its own token key it starts
        assert tokens.signing_key() != tokens.DEV_TOKEN_KEY
    finally:
        monkeypatch.setenv("LENDCORE_MODE", "development")
        monkeypatch.delenv("LENDCORE_KEYRING")
        keyring.reload()


def test_a_proposal_that_could_never_run_is_refused_to_its_maker_at_once(
        client: TestClient, engine: Engine) -> None:
    book = _book(client, engine)
    officer = headers(client, engine, "li.wei", "credit_officer")
    before = _count(engine, pending_commands)
    again = client.post("/credit-lines", headers=officer, json={
        "customer_id": book["customer"], "product": "cash-line", "limit": "50000"})
    assert again.status_code == 409
    assert again.json()["error"] == "line_exists"
    too_low = client.post(f"/credit-lines/{book['line']}/limit", headers=officer,
                          json={"limit": "499.99", "reason": "manual"})
    assert too_low.status_code == 422
    assert _count(engine, pending_commands) == before
