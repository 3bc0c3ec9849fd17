"""The key ring: read from the file LENDCORE_KEYRING names, refused when malformed, and its
development keys refused outside development mode, naming which (the server and the CLI stop
with one line)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lendcore.errors import ConfigurationError, InvalidInput
from lendcore.origination.config import id_hash_key
from lendcore.origination.schemas import template
from lendcore.pii import keyring
from tests.pii.helpers import key, use_ring, write_ring


@pytest.fixture(autouse=True)
def _fresh_ring() -> Iterator[None]:
    keyring.reload()
    yield
    keyring.reload()


def test_a_ring_file_gives_its_keys_the_active_one_and_the_index_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ring = use_ring(monkeypatch, write_ring(tmp_path / "r.json", "k2", {"k1": 1, "k2": 2}))
    assert (ring.active, sorted(ring.keys)) == ("k2", ["k1", "k2"])
    assert ring.active_key == bytes([2]) * 32
    assert ring.index_key == bytes([99]) * 32 and ring.index_source == "keyring"
    assert id_hash_key() == bytes([99]) * 32  # the ID-number hash is the ring's blind index


@pytest.mark.parametrize(("document", "says"), [
    ({"active": "k1", "keys": {"k1": "not base64!"}}, "not base64"),
    ({"active": "k1", "keys": {"k1": key(1)[:21]}}, "not base64"),
    ({"active": "k1", "keys": {"k1": "AAAA"}}, "32 bytes"),
    ({"active": "k9", "keys": {"k1": key(1)}}, '"active" must name one of its keys'),
    ({"active": "k.1", "keys": {"k.1": key(1)}}, "key id"),
    ({"active": "k1", "keys": {}}, "at least one key"),
    ({"active": "k1", "keys": {"k1": key(1)}, "extra": 1}, "unknown field"),
    ({"active": "k1", "keys": {"k1": key(1)}, "index_key": "short"}, "index_key"),
    ([], "JSON object"),
])
def test_a_malformed_ring_is_refused_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: object, says: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    monkeypatch.setenv("LENDCORE_KEYRING", str(path))
    with pytest.raises(ConfigurationError, match=says) as err:
        keyring.current()
    assert err.value.field == "LENDCORE_KEYRING"


def test_a_missing_or_unreadable_ring_is_refused(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_KEYRING", str(tmp_path / "nowhere.json"))
    with pytest.raises(ConfigurationError, match="cannot be read"):
        keyring.current()
    (tmp_path / "garbled.json").write_text("{")
    monkeypatch.setenv("LENDCORE_KEYRING", str(tmp_path / "garbled.json"))
    with pytest.raises(ConfigurationError, match="not JSON"):
        keyring.current()


def test_development_mode_without_a_ring_uses_the_development_ring() -> None:
    ring = keyring.current()
    assert (ring.source, ring.active) == ("development", "dev")
    assert ring.index_key == keyring.DEV_ID_HASH_KEY.encode()


def test_outside_development_mode_the_development_ring_is_refused_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_MODE", "production")
    with pytest.raises(ConfigurationError) as err:
        keyring.require_keys()
    assert "the development keyring" in err.value.detail
    assert "the development ID-hash key" in err.value.detail


def test_outside_development_mode_the_development_id_hash_key_is_refused_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_MODE", "production")
    monkeypatch.setenv("LENDCORE_KEYRING", str(write_ring(tmp_path / "r.json", "k1", {"k1": 1},
                                                          index=None)))
    with pytest.raises(ConfigurationError) as err:
        keyring.current()
    assert "the development ID-hash key" in err.value.detail
    assert "development keyring" not in err.value.detail
    # The older setting as the index key is accepted: a book made before the ring keeps its
    # re-application hashes.
    monkeypatch.setenv("LENDCORE_ID_HASH_KEY", "a-production-secret-from-the-key-store")
    assert keyring.current().index_key == b"a-production-secret-from-the-key-store"


def test_outside_development_mode_the_development_sealing_key_is_refused_in_a_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_MODE", "production")
    path = write_ring(tmp_path / "r.json", "k1", {"k1": 1})
    document = json.loads(path.read_text())
    document["keys"]["dev"] = __import__("base64").b64encode(keyring.DEV_SEALING_KEY).decode()
    path.write_text(json.dumps(document))
    monkeypatch.setenv("LENDCORE_KEYRING", str(path))
    with pytest.raises(ConfigurationError, match="the development sealing key"):
        keyring.current()


def test_a_production_ring_is_accepted_outside_development_mode(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_MODE", "production")
    ring = use_ring(monkeypatch, write_ring(tmp_path / "r.json", "k1", {"k1": 1}))
    assert ring.source == str(tmp_path / "r.json")


def test_two_different_index_keys_are_refused(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENDCORE_ID_HASH_KEY", "another")
    monkeypatch.setenv("LENDCORE_KEYRING", str(write_ring(tmp_path / "r.json", "k1", {"k1": 1})))
    with pytest.raises(ConfigurationError, match="two blind-index keys") as err:
        keyring.current()
    assert err.value.field == "LENDCORE_ID_HASH_KEY"


def test_ring_files_are_written_whole_for_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    keyring.write_document(path, keyring.new_keyring_document("k1"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = keyring.with_new_key(keyring.read_document(path), "k2")
    keyring.write_document(path, document)
    ring = keyring.load_keyring(path)
    assert ring.active == "k2" and len(set(ring.keys.values())) == 2
    with pytest.raises(InvalidInput, match="active key"):
        keyring.without_key(document, "k2")
    with pytest.raises(InvalidInput, match="already has"):
        keyring.with_new_key(document, "k1")
    with pytest.raises(ConfigurationError):  # never writes a ring that would not load
        keyring.write_document(path, {"active": "x", "keys": {}})
    assert keyring.load_keyring(path).active == "k2"


def _cli(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "LENDCORE_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", **env}
    return subprocess.run([sys.executable, "-c", "from lendcore.cli import main; main()", *args],
                          env=full, capture_output=True, text=True, timeout=120)


def test_the_cli_outside_development_mode_refuses_the_development_keys_in_one_line(
        tmp_path: Path) -> None:
    app = tmp_path / "app.json"
    app.write_text(json.dumps(template(), ensure_ascii=False))
    r = _cli(["apply", "--file", str(app)], tmp_path, LENDCORE_MODE="production")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: LENDCORE_KEYRING: ")
    assert "the development keyring" in r.stderr
    ring = write_ring(tmp_path / "r.json", "k1", {"k1": 1})
    ok = _cli(["apply", "--file", str(app)], tmp_path, LENDCORE_MODE="production",
              LENDCORE_KEYRING=str(ring))
    assert ok.returncode == 0, ok.stderr
