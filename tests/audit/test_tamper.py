"""``audit verify`` names the first record edited, deleted or reordered, on both databases.

Each test changes rows directly, as someone with the database's credentials would, after taking
the guard off explicitly (``helpers.tampering`` first shows the change refused)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from lendcore import audit
from lendcore.audit.chain import Entry, record_hash
from lendcore.audit.commands import audit_app
from tests.audit.helpers import notes, rows, tampering


@pytest.fixture()
def six(engine: Engine) -> Engine:
    notes(engine, 6)
    assert audit.verify(engine).intact
    return engine


def _broken(engine: Engine) -> tuple[int, str]:
    verdict = audit.verify(engine)
    assert verdict.broken is not None
    return verdict.broken.seq, verdict.broken.problem


def test_an_edited_payload_is_named(six: Engine) -> None:
    with tampering(six) as conn:
        conn.execute(text("""UPDATE audit_log SET payload = '{"text":"forged"}' WHERE seq = 3"""))
    assert _broken(six) == (3, "edited")
    assert audit.verify(six).records == 2


@pytest.mark.parametrize("column", ["actor", "origin", "command", "outcome", "at", "role",
                                    "idempotency_key"])
def test_any_edited_field_is_named(six: Engine, column: str) -> None:
    value = "'2026-03-03 02:00:00.123456'" if column == "at" else "'someone else'"
    if column == "at" and six.dialect.name == "postgresql":
        value = "at + interval '1 second'"
    with tampering(six) as conn:
        conn.execute(text(f"UPDATE audit_log SET {column} = {value} WHERE seq = 4"))
    assert _broken(six) == (4, "edited")


def test_a_deleted_middle_record_is_named(six: Engine) -> None:
    with tampering(six) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    assert _broken(six) == (3, "missing")


def test_a_deleted_first_record_is_named(six: Engine) -> None:
    with tampering(six) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 1"))
    assert _broken(six) == (1, "missing")


def _swap(conn: object, a: int, b: int) -> None:
    for sql in (f"UPDATE audit_log SET seq = -seq WHERE seq IN ({a}, {b})",
                f"UPDATE audit_log SET seq = {b} WHERE seq = -{a}",
                f"UPDATE audit_log SET seq = {a} WHERE seq = -{b}"):
        conn.execute(text(sql))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("a", "b"), [(2, 5), (3, 4), (1, 6)])
def test_two_records_with_swapped_seq_are_named_at_the_first(six: Engine, a: int, b: int) -> None:
    with tampering(six) as conn:
        _swap(conn, a, b)
    verdict = audit.verify(six)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.problem) == (a, "reordered")
    assert f"written as {b}" in verdict.broken.detail


def test_a_deletion_hidden_by_renumbering_is_named(six: Engine) -> None:
    with tampering(six) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 3"))
        for seq in (4, 5, 6):
            conn.execute(text(f"UPDATE audit_log SET seq = {seq - 1} WHERE seq = {seq}"))
    verdict = audit.verify(six)
    assert verdict.broken is not None
    assert (verdict.broken.seq, verdict.broken.problem) == (3, "reordered")
    assert "written as 4" in verdict.broken.detail


def test_a_record_rewritten_with_a_fresh_hash_is_named_by_the_next_link(six: Engine) -> None:
    record = rows(six)[2]  # seq 3
    forged = Entry(at=record.at, actor="forger", role=None, origin=record.origin,
                   command=record.command, payload=record.payload, outcome=record.outcome,
                   key=record.idempotency_key)
    new_hash = record_hash(3, forged, record.prev_hash)
    with tampering(six) as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'forger', hash = :h WHERE seq = 3"),
                     {"h": new_hash})
    assert _broken(six) == (3, "edited")


def test_deleted_last_records_are_caught_by_an_anchor_noted_earlier(six: Engine) -> None:
    head = audit.verify(six).head
    assert head is not None
    with tampering(six) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq >= 5"))
    assert audit.verify(six).intact  # the chain alone cannot tell its end was cut
    verdict = audit.verify(six, anchor=(head.seq, head.hash))
    assert verdict.broken is not None and (verdict.broken.seq, verdict.broken.problem) == (
        5, "missing")


def test_a_whole_chain_rewritten_from_a_record_is_caught_by_an_anchor(six: Engine) -> None:
    head = audit.verify(six).head
    assert head is not None
    records = rows(six)
    with tampering(six) as conn:
        prev = records[3].hash  # rewrite 5 and 6 consistently
        for r in records[4:]:
            e = Entry(at=r.at, actor="forger", role=r.role, origin=r.origin, command=r.command,
                      payload=r.payload, outcome=r.outcome, key=r.idempotency_key)
            h = record_hash(r.seq, e, prev)
            conn.execute(text("UPDATE audit_log SET actor = 'forger', prev_hash = :p, hash = :h "
                              "WHERE seq = :s"), {"p": prev, "h": h, "s": r.seq})
            prev = h
    assert audit.verify(six).intact
    verdict = audit.verify(six, anchor=(head.seq, head.hash))
    assert verdict.broken is not None and verdict.broken.seq == 6


# -- the command line -----------------------------------------------------------------------------
@pytest.fixture()
def cli(six: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("LENDCORE_DATABASE_URL", six.url.render_as_string(hide_password=False))
    yield CliRunner()


def test_cli_verify_exits_0_with_the_count_when_intact(cli: CliRunner, six: Engine) -> None:
    result = cli.invoke(audit_app, ["verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 6 records" in result.stdout
    result = cli.invoke(audit_app, ["verify", "--json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 0 and body["intact"] is True and body["records"] == 6
    assert body["head"]["seq"] == 6 and body["broken"] is None
    anchored = cli.invoke(audit_app, ["verify", "--anchor", f"6:{body['head']['hash']}"])
    assert anchored.exit_code == 0, anchored.output


def test_cli_verify_exits_1_naming_the_first_bad_record(cli: CliRunner, six: Engine) -> None:
    with tampering(six) as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    result = cli.invoke(audit_app, ["verify"])
    assert result.exit_code == 1 and "BROKEN at record 4 (missing)" in result.stdout
    result = cli.invoke(audit_app, ["verify", "--json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 1 and body["intact"] is False and body["records"] == 3
    assert body["broken"]["seq"] == 4 and body["broken"]["problem"] == "missing"


def test_cli_show_prints_the_last_records_oldest_first(cli: CliRunner) -> None:
    result = cli.invoke(audit_app, ["show", "--last", "2"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert [r["seq"] for r in shown] == [5, 6]
    assert shown[0]["payload"] == {"text": "n4"} and shown[0]["command"] == "test.note"
    assert shown[1]["prev_hash"] == shown[0]["hash"]
    assert cli.invoke(audit_app, ["show", "--last", "0"]).exit_code == 2


# -- the guard -----------------------------------------------------------------------------------
@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET outcome = 'ok'",
    "UPDATE audit_log SET seq = seq + 100",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE seq = 6",
])
def test_audit_rows_cannot_be_updated_or_deleted(six: Engine, statement: str) -> None:
    with six.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
    assert audit.verify(six).records == 6


@pytest.mark.postgres
def test_postgres_refuses_truncating_the_audit_log(six: Engine) -> None:
    if six.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    with six.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("TRUNCATE audit_log"))


def test_the_hash_stored_by_the_database_is_the_one_python_computes(six: Engine) -> None:
    for r in rows(six):
        e = Entry(at=r.at, actor=r.actor, role=r.role, origin=r.origin, command=r.command,
                  payload=r.payload, outcome=r.outcome, key=r.idempotency_key)
        assert r.hash == record_hash(r.seq, e, r.prev_hash)
        assert r.hash == hashlib.sha256(
            f'[{r.seq},{audit.chain.body(e)},"{r.prev_hash}"]'.encode()).hexdigest()
