"""The chain's serialisation and hash, pinned: a change of format is a deliberate one."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from lendcore.audit.chain import (
    GENESIS,
    REDACTED,
    Entry,
    Record,
    Walk,
    body,
    canonical_at,
    classify,
    record_hash,
    redact,
    serialise,
)

E = Entry(at=datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=8))), actor="li.wei",
          role=None, origin="api 127.0.0.1", command="repay",
          payload='{"amount_fen":91799,"loan_id":1000001}', outcome="ok", key="pay-42")


def test_the_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_the_serialisation_is_the_json_array_of_the_ten_values_in_utc() -> None:
    text = serialise(1, E, GENESIS)
    assert text == ('[1,"2026-03-02T02:00:00.000000+00:00","li.wei",null,"api 127.0.0.1",'
                    '"repay","{\\"amount_fen\\":91799,\\"loan_id\\":1000001}","ok","pay-42",'
                    f'"{GENESIS}"]')
    assert json.loads(text) == [1, "2026-03-02T02:00:00.000000+00:00", "li.wei", None,
                                "api 127.0.0.1", "repay", E.payload, "ok", "pay-42", GENESIS]
    assert record_hash(1, E, GENESIS) == hashlib.sha256(text.encode()).hexdigest()
    assert record_hash(1, E, GENESIS) == (
        "832e77c7ac261de10a6a921a3c2698bb4b49dfe86d678f4036d9e9aba3b0d4dc")


@given(actor=st.text(), payload=st.text(), seq=st.integers(1, 2**62),
       role=st.none() | st.text(), key=st.none() | st.text(max_size=128))
def test_the_body_wrapped_with_seq_and_prev_hash_is_the_full_array(
        actor: str, payload: str, seq: int, role: str | None, key: str | None) -> None:
    """What the PostgreSQL function builds ('[' || seq || ',' || body || ',"' || prev || '"]')
    is exactly the JSON array Python hashes, whatever the text (quotes, Chinese, controls)."""
    e = Entry(at=datetime(2026, 3, 2, tzinfo=UTC), actor=actor, role=role, origin="cli",
              command="c", payload=payload, outcome="ok", key=key)
    full = json.dumps([seq, canonical_at(e.at), actor, role, "cli", "c", payload, "ok", key,
                       "ab" * 32], separators=(",", ":"), ensure_ascii=True)
    assert f'[{seq},{body(e)},"{"ab" * 32}"]' == full == serialise(seq, e, "ab" * 32)
    assert full.isascii()


def test_a_naive_time_is_taken_as_utc_and_an_aware_one_converted() -> None:
    assert canonical_at(datetime(2026, 3, 2, 2, 0)) == "2026-03-02T02:00:00.000000+00:00"
    assert canonical_at(E.at) == "2026-03-02T02:00:00.000000+00:00"


def _chain(n: int) -> list[Record]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        e = Entry(at=E.at, actor=f"a{seq}", role=None, origin="cli", command="c", payload="{}",
                  outcome="ok", key=None)
        h = record_hash(seq, e, prev)
        out.append(Record(seq, e, prev, h))
        prev = h
    return out


def _walk(records: list[Record]) -> Walk:
    walk = Walk()
    for r in records:
        if not walk.feed(r):
            break
    return walk


def test_an_intact_chain_walks_to_its_head() -> None:
    walk = _walk(_chain(5))
    assert walk.broken is None and walk.suspect is None and walk.checked == 5
    assert walk.head is not None and walk.head.seq == 5


def test_a_gap_is_a_missing_record() -> None:
    records = _chain(5)
    walk = _walk(records[:2] + records[3:])
    assert walk.broken is not None and (walk.broken.seq, walk.broken.problem) == (3, "missing")


def test_a_moved_record_is_named_with_the_position_it_was_written_at() -> None:
    r = _chain(6)
    moved = Record(2, r[4].entry, r[4].prev_hash, r[4].hash)  # record 5's content at seq 2
    walk = _walk([r[0], moved])
    assert walk.suspect is moved
    found = classify(moved, [5, 3, 1])
    assert (found.seq, found.problem) == (2, "reordered") and "written as 5" in found.detail


def test_personal_data_is_redacted_at_any_depth_and_nothing_else() -> None:
    canonical = {"application": {"identity": {"name": "张三", "id_number": "11010519491231002X",
                                              "mobile": "13800138000", "id_expiry": None},
                                 "amount_fen": 500000},
                 "contact": {"number": "13900139000", "case_id": 7},
                 "lines": [{"address": "上海市 1 号"}, {"address": None}]}
    assert redact(canonical) == {
        "application": {"identity": {"name": REDACTED, "id_number": REDACTED,
                                     "mobile": REDACTED, "id_expiry": None},
                        "amount_fen": 500000},
        "contact": {"number": REDACTED, "case_id": 7},
        "lines": [{"address": REDACTED}, {"address": None}]}
    plain = {"loan_id": 1, "amount_fen": 91799, "items": [{"sku": "a"}], "number_of": None}
    assert redact(plain) is plain  # nothing to hide: the same object, no copy
