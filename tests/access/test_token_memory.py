"""A token verified once is remembered (``guard._verified``) without loosening any check.

The memory only skips PyJWT's work for the very string it already accepted under the same key:
a remembered token still expires on time, a changed signing key re-checks it (and refuses it),
a tampered copy is a different string and is checked in full, and a revoked session is refused
whatever the memory holds.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest

from lendcore.access import guard, tokens
from lendcore.errors import Unauthorized


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    guard.forget_all()
    yield
    guard.forget_all()


def _token(ttl: timedelta = timedelta(minutes=15), now: float | None = None) -> str:
    return tokens.issue("li.wei", "operator", ["credit_officer"], "s-1", ttl=ttl, now=now)


def test_a_verified_token_is_remembered_and_gives_the_same_principal() -> None:
    token = _token()
    first = guard._verified(token)
    assert token in guard._VERIFIED
    assert guard._verified(token) is first
    assert first.actor == "li.wei" and first.roles == ("credit_officer",)


def test_a_remembered_token_still_expires_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "LEEWAY_SECONDS", 0)  # read by the memory and by PyJWT's check
    token = _token(ttl=timedelta(seconds=1), now=time.time())
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    assert guard._verified(token).actor == "li.wei"  # remembered while valid
    while time.time() <= expires + 0.05:
        time.sleep(0.05)
    with pytest.raises(Unauthorized) as refused:
        guard._verified(token)
    assert refused.value.code == "token_expired"


def test_a_changed_signing_key_checks_a_remembered_token_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = _token()
    guard._verified(token)
    monkeypatch.setattr(tokens, "signing_key", lambda: b"a-rotated-key-of-32-bytes-000000")
    with pytest.raises(Unauthorized) as refused:
        guard._verified(token)
    assert refused.value.code == "token_invalid"


def test_a_tampered_copy_of_a_remembered_token_is_checked_in_full() -> None:
    token = _token()
    guard._verified(token)
    head, body, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    with pytest.raises(Unauthorized):
        guard._verified(f"{head}.{body}.{flipped}")


def test_the_memory_is_bounded() -> None:
    for n in range(3):
        guard._verified(tokens.issue(f"u{n}", "operator", ["finance"], f"s{n}"))
    assert len(guard._VERIFIED) == 3
    kept, guard.VERIFIED_TOKENS_KEPT = guard.VERIFIED_TOKENS_KEPT, 3
    try:
        guard._verified(_token())
        assert len(guard._VERIFIED) == 1  # full: emptied, then the new one kept
    finally:
        guard.VERIFIED_TOKENS_KEPT = kept
