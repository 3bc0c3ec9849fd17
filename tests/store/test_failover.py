"""Losing the database loses nothing acknowledged.

The slow test runs a PostgreSQL primary and a synchronous standby (``pgcluster``), a real
``lendcore serve`` process on both hosts (``target_session_attrs=read-write``) and four clients
posting repayments, each with its own Idempotency-Key, retrying a lost answer or a 5xx with the
same key. Midway the primary is SIGKILLed (postmaster and backends) and the standby promoted.
Every acknowledged repayment must be in the database exactly once (its key, its loan event, its
ledger entry), nothing is applied twice, the ledger audit passes, and no acknowledged repayment
is lost (RPO = 0). RTO (the kill to the first 2xx of a repayment sent after it) is printed and
recorded as a test property.

The fast tests hold the engine's half on a server that is not there: a connect that fails is
``DatabaseUnavailable``, the API answers it 503 with ``Retry-After``, and an ordinary database
error is not mistaken for it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lendcore.api.app import create_app
from lendcore.store.db import DatabaseUnavailable, is_unavailable, make_engine
from tests.store.pgcluster import bindir, free_port, run_failover


def _dead_url() -> str:
    return f"postgresql://postgres@/lendcore?host=127.0.0.1:{free_port()}" \
           f"&host=127.0.0.1:{free_port()}&target_session_attrs=read-write"


def test_a_connect_to_no_server_is_database_unavailable() -> None:
    engine = make_engine(_dead_url())
    try:
        with pytest.raises(DatabaseUnavailable) as raised, engine.connect():
            pass
    finally:
        engine.dispose()
    assert raised.value.code == "database_unavailable" and raised.value.http_status == 503
    assert "Connection refused" in raised.value.detail


@pytest.mark.postgres
def test_an_ordinary_database_error_is_not_taken_for_a_lost_server(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        with engine.connect() as conn:
            first = conn.connection.dbapi_connection
        with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
            conn.execute(text("SELECT 1 / 0"))
        assert not isinstance(raised.value, DatabaseUnavailable)
        assert not is_unavailable(raised.value)
        with engine.connect() as conn:  # the pooled connection was kept, not thrown away
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            assert conn.connection.dbapi_connection is first
    finally:
        engine.dispose()


def test_the_api_answers_503_with_retry_after_when_the_database_is_gone() -> None:
    engine = make_engine(_dead_url())
    try:
        client = TestClient(create_app(engine=engine), raise_server_exceptions=False)
        response = client.post("/loans/1000001/repayments", json={"amount": "1.00"},
                               headers={"X-API-Key": "gateway-1.secret",
                                        "Idempotency-Key": "k-1"})
    finally:
        engine.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["error"] == body["code"] == "database_unavailable"
    assert "127.0.0.1" not in body["detail"]  # the driver's message (hosts) stays in the log


@pytest.mark.slow
def test_killing_the_primary_loses_no_acknowledged_repayment(
        tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    if bindir() is None:
        if os.environ.get("CI"):
            pytest.fail("no PostgreSQL server binaries (initdb, postgres, pg_basebackup)")
        pytest.skip("no PostgreSQL server binaries (set LENDCORE_PG_BINDIR)")
    outcome = run_failover(before_seconds=2.0, after_seconds=2.0, probe_outage=True,
                           workdir=tmp_path)
    acked = [p for p in outcome.posted if p.acked_at is not None]
    statuses = Counter(s for p in outcome.posted for s in p.statuses)
    print(f"\nfailover: RTO {outcome.rto_seconds:.3f} s (promotion {outcome.promote_seconds:.3f}"
          f" s), {len(acked)} repayments acknowledged, RPO {len(outcome.lost_acknowledged)}, "
          f"answers {dict(statuses)}")
    record_property("rto_seconds", round(outcome.rto_seconds, 3))
    record_property("rpo_lost_acknowledged", len(outcome.lost_acknowledged))

    probe = outcome.outage_answer
    assert probe is not None and probe.status_code == 503, probe and probe.text
    assert probe.headers["Retry-After"] == "1"
    assert probe.json()["code"] == "database_unavailable"
    # Every request was answered 2xx in the end; meanwhile only 503s or lost answers, no 500.
    assert len(acked) == len(outcome.posted) > 0
    assert set(statuses) <= {"201", "503", "ReadError", "RemoteProtocolError", "ReadTimeout",
                             "ConnectError"}, statuses
    assert any(p.sent_at > outcome.killed_at for p in acked)  # service came back
    assert outcome.lost_acknowledged == []  # RPO = 0
    assert outcome.applied_twice == []
    assert outcome.replays_changed == []
    assert outcome.events_per_loan == outcome.keys_per_loan  # one repayment event per key
    assert outcome.ledger_commands_per_loan == outcome.keys_per_loan  # one ledger command per key
    assert outcome.audit_problems == []
    server_log = (tmp_path / "lendcore-serve.log").read_text(errors="replace")
    assert "Traceback" not in server_log, server_log[-3000:]  # each 503 is one warning line
    assert "database unavailable" in server_log
    assert outcome.rto_seconds < 20  # a bound, not the figure: the promotion took 5 s once
