"""Sealing: AES-256-GCM values that carry their key id and nonce, bound to their column; the
blind index; the masks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lendcore import pii
from lendcore.errors import ConfigurationError
from lendcore.origination import kyc
from lendcore.pii import keyring, sealing
from tests.pii.helpers import use_ring, write_ring

COLUMN = "customers.id_number_sealed"
NUMBER = "110101199003070011"


@pytest.fixture(autouse=True)
def _fresh_ring() -> Iterator[None]:
    keyring.reload()
    yield
    keyring.reload()


def test_a_sealed_value_carries_its_key_id_and_nonce_and_opens_for_its_column() -> None:
    value = pii.seal(NUMBER, COLUMN)
    version, key_id, nonce, _body = value.split(".")
    assert (version, key_id, len(nonce)) == ("v1", "dev", 16)  # 12 bytes, base64
    assert NUMBER not in value and "19900307" not in value
    assert pii.key_id_of(value) == "dev"
    assert pii.unseal(value, COLUMN) == NUMBER
    assert pii.seal(NUMBER, COLUMN) != value  # a fresh nonce each time


def test_a_value_moved_to_another_column_does_not_open() -> None:
    value = pii.seal("13812345678", "customers.mobile_sealed")
    with pytest.raises(pii.SealError, match="another column"):
        pii.unseal(value, COLUMN)
    with pytest.raises(pii.SealError):
        pii.unseal(value, "decisions.mobile_sealed")


def test_an_altered_value_does_not_open() -> None:
    version, key_id, nonce, body = pii.seal(NUMBER, COLUMN).split(".")
    flipped = body[:5] + ("A" if body[5] != "A" else "B") + body[6:]
    for bad in (f"{version}.{key_id}.{nonce}.{flipped}", f"{version}.{key_id}.{nonce}.{body[:-3]}",
                "plain text", f"v2.{key_id}.{nonce}.{body}", f"v1.{key_id}.AAAA.{body}"):
        with pytest.raises(pii.SealError):
            pii.unseal(bad, COLUMN)


def test_a_value_opens_with_the_key_it_names_and_not_with_an_edited_key_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = use_ring(monkeypatch, write_ring(tmp_path / "a.json", "k1", {"k1": 1}))
    value = pii.seal(NUMBER, COLUMN)
    both = use_ring(monkeypatch, write_ring(tmp_path / "b.json", "k2", {"k1": 1, "k2": 2}))
    assert pii.unseal(value, COLUMN) == NUMBER  # sealed with k1, opened after k2 is active
    assert pii.key_id_of(pii.seal(NUMBER, COLUMN)) == "k2"
    relabelled = value.replace("v1.k1.", "v1.k2.", 1)
    with pytest.raises(pii.SealError):
        pii.unseal(relabelled, COLUMN)
    resealed = sealing.reseal(value, COLUMN, both)
    assert resealed is not None and pii.key_id_of(resealed) == "k2"
    assert sealing.reseal(resealed, COLUMN, both) is None
    use_ring(monkeypatch, write_ring(tmp_path / "c.json", "k2", {"k2": 2}))
    with pytest.raises(ConfigurationError, match="no key 'k1'"):
        pii.unseal(value, COLUMN)
    assert old.active == "k1"


def test_reproducible_seals_are_the_same_format_and_open_the_same_way() -> None:
    values = ["张三", "李四", "张三"]
    sealed = pii.seal_reproducibly(values, "customers.name_sealed")
    assert sealed == pii.seal_reproducibly(values, "customers.name_sealed")
    assert sealed[0] == sealed[2] and sealed[0] != sealed[1]
    assert [pii.unseal(v, "customers.name_sealed") for v in sealed] == values
    assert pii.seal_reproducibly(["张三"], "decisions.name_sealed") != sealed[:1]
    many = pii.seal_many(values, "customers.name_sealed")
    assert [pii.unseal(v, "customers.name_sealed") for v in many] == values
    assert len(set(many)) == 3


@given(st.text(max_size=80), st.sampled_from(["customers.name_sealed", "decisions.x"]))
def test_any_text_seals_and_opens_again(text: str, column: str) -> None:
    assert pii.unseal(pii.seal(text, column), column) == text


def test_the_blind_index_is_keyed_and_is_the_id_number_hash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = pii.blind_index(NUMBER, "id_number")
    assert dev == kyc.id_number_hash(NUMBER, keyring.DEV_ID_HASH_KEY.encode())
    assert pii.blind_index(" 11010519491231002x", "id_number") == pii.blind_index(
        "11010519491231002X", "id_number")
    assert NUMBER not in dev and len(dev) == 64
    use_ring(monkeypatch, write_ring(tmp_path / "r.json", "k1", {"k1": 1}, index=7))
    keyed = pii.blind_index(NUMBER, "id_number")
    assert keyed != dev and keyed == kyc.id_number_hash(NUMBER, bytes([7]) * 32)
    assert pii.blind_index("13812345678", "mobile") != pii.blind_index("13812345679", "mobile")
    with pytest.raises(ValueError, match="kind"):
        pii.blind_index(NUMBER, "name")


def test_masks_follow_domain_rule_10_and_ages_are_banded() -> None:
    assert pii.mask_id_number("110101199003071234") == "110101********1234"
    assert pii.mask_mobile("13812345678") == "138****5678"
    assert [pii.mask_name(n) for n in ("张三", "张三丰", "欧阳娜娜", "张")] == [
        "张**", "张**", "欧**", "张**"]  # the length is hidden too
    assert pii.mask_bank_card("6222 0212 3456 7891 234") == "6222 **** **** 1234"
    assert [pii.age_band(a) for a in (17, 18, 24, 25, 34, 35, 54, 55, 64, 65, None)] == [
        "under 18", "18-24", "18-24", "25-34", "25-34", "35-44", "45-54", "55-64", "55-64",
        "65+", None]
