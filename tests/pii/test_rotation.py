"""``lendcore keys rotate`` and ``keys status`` on SQLite and PostgreSQL: every sealed value
moves to the active key one committed batch at a time; stopped after a batch, or killed in the
middle of one, and run again, it finishes and nothing is lost; a retired key leaves the ring only
when no value uses it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import typer
from sqlalchemy import Connection, Engine, select
from typer.testing import CliRunner

from lendcore import pii
from lendcore.clock import ensure_business_date
from lendcore.customers import store as customers_store
from lendcore.errors import RuleViolation
from lendcore.origination import sealed, service
from lendcore.origination.schemas import parse_application, template
from lendcore.pii import commands, keyring
from lendcore.pii.rotation import Resealed, SealedTable, key_use, rotate
from lendcore.store.core_tables import customers
from lendcore.store.origination_tables import decisions
from lendcore.store.uow import UnitOfWork
from tests.pii.helpers import use_ring, write_ring

ON = date(2025, 6, 2)
NOW = datetime(2025, 6, 2, 2, 30, tzinfo=UTC)
TABLES = (customers_store.SEALED, sealed.SEALED)
APPROVED, REFERRED = 5, 2


@pytest.fixture(autouse=True)
def _fresh_ring() -> Iterator[None]:
    keyring.reload()
    yield
    keyring.reload()


def _applicant(i: int) -> dict[str, object]:
    from stdnum.cn import ric

    body = template()
    number = f"110101199003{7 + i:02d}001"  # born 7 to 13 March 1990
    body.update(id_number=number + ric.calc_check_digit(number + "0"),
                name=f"张{'三四五六七八九'[i]}", mobile=f"1381234{5670 + i}")
    return body


def _book(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Approved customers and referred decisions, each identity sealed with the active key."""
    from lendcore.origination import ladder

    ensure_business_date(engine, ON)
    for i in range(APPROVED + REFERRED):
        if i == APPROVED:
            monkeypatch.setattr(ladder.p, "SCORE_APPROVE_MIN", 10_000)  # the rest are referred
        with UnitOfWork(engine) as uow:
            service.decide_application(uow, parse_application(_applicant(i)), now=NOW)
            uow.commit()


def _plain(engine: Engine) -> dict[tuple[str, int], str]:
    """Every sealed value opened, by (table.column, row id)."""
    out = {}
    with engine.connect() as conn:
        for spec in TABLES:
            for row in conn.execute(select(spec.column("id"),
                                           *(spec.column(c) for c in spec.columns))):
                for name, value in zip(spec.columns, row[1:], strict=True):
                    if value is not None:
                        out[(spec.aad(name), int(row[0]))] = pii.unseal(value, spec.aad(name))
    return out


def _rings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Path:
    """The book sealed under k1; then k2 added and made active: the ring's path."""
    use_ring(monkeypatch, write_ring(tmp_path / "ring.json", "k1", {"k1": 1}))
    _book(engine, monkeypatch)
    return write_ring(tmp_path / "ring.json", "k2", {"k1": 1, "k2": 2})


def test_a_rotation_stopped_after_one_batch_goes_on_when_run_again(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _rings(tmp_path, monkeypatch, engine)
    keyring.reload()
    before = _plain(engine)
    assert len(before) == 3 * (APPROVED + REFERRED)
    ring = keyring.current()
    start = key_use(engine, TABLES, ring)
    assert start.by_key() == {"k1": 3 * (APPROVED + REFERRED), "k2": 0}
    assert start.removable() == []
    assert str(path) == ring.source

    first = rotate(engine, TABLES, ring, batch_size=2, max_batches=1)
    assert (first.finished, first.batches, first.resealed) == (False, 1, 6)
    assert _plain(engine) == before  # nothing lost: old and new keys both open
    middle = key_use(engine, TABLES, ring)
    assert middle.by_key() == {"k1": 3 * (APPROVED + REFERRED) - 6, "k2": 6}

    rest = rotate(engine, TABLES, ring, batch_size=2)
    assert rest.finished and rest.resealed == 3 * (APPROVED + REFERRED) - 6
    assert _plain(engine) == before
    end = key_use(engine, TABLES, ring)
    assert end.by_key() == {"k1": 0, "k2": 3 * (APPROVED + REFERRED)}
    assert end.removable() == ["k1"] and end.missing() == []
    again = rotate(engine, TABLES, ring)
    assert again.finished and again.resealed == 0  # nothing left to do


def test_a_rotation_killed_in_the_middle_of_a_batch_loses_nothing(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rings(tmp_path, monkeypatch, engine)
    keyring.reload()
    before = _plain(engine)
    calls = []

    def dies_in_the_second_batch(conn: Connection, changes: Sequence[Resealed]) -> int:
        written = customers_store.reseal(conn, changes)  # written, then the process "dies"
        calls.append(written)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return written

    dying = SealedTable(customers, customers_store.SEALED_COLUMNS, dies_in_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        rotate(engine, (dying, sealed.SEALED), batch_size=2)
    assert _plain(engine) == before
    assert key_use(engine, TABLES).by_key()["k2"] == 6  # the first batch only: the second
    done = rotate(engine, TABLES, batch_size=2)             # rolled back whole
    assert done.finished and done.resealed == 3 * (APPROVED + REFERRED) - 6
    assert _plain(engine) == before


def test_a_value_changed_during_a_rotation_is_not_overwritten(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _rings(tmp_path, monkeypatch, engine)
    keyring.reload()
    with engine.connect() as conn:
        first_id, old = conn.execute(select(customers.c.id, customers.c.mobile_sealed)
                                     .order_by(customers.c.id)).first()  # type: ignore[misc]
    newer = pii.seal("13900000000", customers_store.MOBILE)
    stale = [Resealed(first_id, "mobile_sealed", old, pii.seal("x", customers_store.MOBILE))]
    with UnitOfWork(engine) as uow:
        uow.conn.execute(customers.update().where(customers.c.id == first_id)
                         .values(mobile_sealed=newer))
        assert customers_store.reseal(uow.conn, stale) == 0  # compare-and-set: not the one read
        uow.commit()
    with engine.connect() as conn:
        assert conn.execute(select(customers.c.mobile_sealed)
                            .where(customers.c.id == first_id)).scalar() == newer


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_the_keys_commands_rotate_resumably_and_remove_a_key_only_when_unused(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _rings(tmp_path, monkeypatch, engine)
    monkeypatch.setenv("LENDCORE_DATABASE_URL", _url(engine))
    app = typer.Typer()
    commands.register(app, lambda: TABLES)
    runner = CliRunner()

    def run(*args: str) -> str:
        keyring.reload()
        result = runner.invoke(app, ["keys", *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "stopped (run again to go on): 6 values re-sealed in 1 batches" in run(
        "rotate", "--batch-size", "2", "--max-batches", "1")
    status = json.loads(run("status", "--json"))
    total = 3 * (APPROVED + REFERRED)
    assert status["keys"]["k1"] == {"values": total - 6, "active": False, "removable": False}
    assert "retired, still in use" in run("status")
    with pytest.raises(RuleViolation, match="still use 'k1'"):
        runner.invoke(app, ["keys", "remove", "k1"], catch_exceptions=False)
    assert "k1" in json.loads(path.read_text())["keys"]
    assert "finished" in run("rotate", "--batch-size", "3")
    text = run("status")
    assert "key k1: 0 values: retired, unused: may be removed from the ring" in text
    assert f"key k2: {total} values (active)" in text
    run("remove", "k1")
    assert sorted(json.loads(path.read_text())["keys"]) == ["k2"]
    assert json.loads(run("status", "--json"))["keys"] == {
        "k2": {"values": total, "active": True, "removable": False}}
    run("add", "k3")
    assert json.loads(path.read_text())["active"] == "k3"


def test_status_names_values_of_a_key_the_ring_does_not_hold(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_ring(monkeypatch, write_ring(tmp_path / "a.json", "old", {"old": 5}))
    _book(engine, monkeypatch)
    use_ring(monkeypatch, write_ring(tmp_path / "b.json", "k2", {"k2": 2}))
    with engine.begin() as conn:  # a row no key of the ring opens, and one not sealed at all
        conn.execute(decisions.update().where(decisions.c.name_sealed.is_not(None))
                     .values(name_sealed="garbage"))
    use = key_use(engine, TABLES)
    assert use.missing() == ["(not a sealed value)", "old"]
    assert use.counts["decisions.name_sealed"]["(not a sealed value)"] == REFERRED
    lines = commands.status_lines(use)
    assert any("NOT IN THE RING" in line for line in lines)
