"""The chain's arithmetic: how a record is serialised and hashed, and what a break looks like.

Pure functions (no database). A record's hash is::

    sha256( [seq,"at","actor","role","origin","command","payload","outcome","key","prev_hash"] )

the JSON array of those ten values with no spaces and ASCII escapes (``json.dumps(...,
separators=(",", ":"), ensure_ascii=True)``), encoded as ASCII; ``at`` is the instant in UTC
with microseconds (``2026-03-02T02:00:00.000000+00:00``), ``role`` and ``key`` may be ``null``,
``payload`` is the stored JSON text itself (a string inside the array). The first record's
``prev_hash`` is :data:`GENESIS` (64 zeros).

The application serialises the eight middle values (:func:`body`); the position in the chain
(``seq``) and ``prev_hash`` are only known under the appenders' lock, so on PostgreSQL the
database function ``audit_log_append`` wraps the body as ``'[' || seq || ',' || body || ',"' ||
prev_hash || '"]'``, which is the same text :func:`serialise` gives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Entry:
    """What is appended: the chain gives it its ``seq`` and ``prev_hash``."""

    at: datetime
    actor: str
    role: str | None
    origin: str
    command: str
    payload: str
    outcome: str
    key: str | None


@dataclass(frozen=True, slots=True)
class Record:
    """A stored record, as read back."""

    seq: int
    entry: Entry
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        e = self.entry
        return {"seq": self.seq, "at": canonical_at(e.at), "actor": e.actor, "role": e.role,
                "origin": e.origin, "command": e.command, "payload": _json_or_text(e.payload),
                "outcome": e.outcome, "idempotency_key": e.key, "prev_hash": self.prev_hash,
                "hash": self.hash}


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def canonical_at(at: datetime) -> str:
    """The instant in UTC, to the microsecond (a naive value is taken as UTC)."""
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return at.isoformat(timespec="microseconds")


def canonical_payload(payload: dict[str, Any]) -> str:
    """A command's canonical JSON text: keys sorted, no spaces (the idempotency payload's form,
    so ``sha256(payload)`` is the idempotency record's ``request_hash``)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# Fields whose values are personal data (JR/T 0171 C2/C3: names, ID, phone and card numbers,
# addresses): a command's payload keeps them out of the audit trail, which is append-only and
# kept for years. A command may say more precisely what it keeps (``Command.audited``).
PERSONAL_FIELDS = frozenset({"name", "full_name", "id_number", "mobile", "phone", "number",
                             "contact_numbers", "address", "card_number", "bank_card"})
REDACTED = "[redacted]"


def redact(payload: Any) -> Any:
    """``payload`` with the values of :data:`PERSONAL_FIELDS` replaced by ``"[redacted]"``
    (``None`` stays ``None``), at any depth; the same object when nothing is redacted."""
    if isinstance(payload, dict):
        out: dict[str, Any] = {}
        changed = False
        for k, v in payload.items():
            new = (REDACTED if v is not None else None) if k in PERSONAL_FIELDS else redact(v)
            changed = changed or new is not v
            out[k] = new
        return out if changed else payload
    if isinstance(payload, list):
        items = [redact(v) for v in payload]
        return items if any(a is not b for a, b in zip(items, payload, strict=True)) else payload
    return payload


def body(entry: Entry) -> str:
    """The eight middle values of the serialisation, without the brackets."""
    return json.dumps([canonical_at(entry.at), entry.actor, entry.role, entry.origin,
                       entry.command, entry.payload, entry.outcome, entry.key],
                      separators=(",", ":"), ensure_ascii=True)[1:-1]


def serialise(seq: int, entry: Entry, prev_hash: str) -> str:
    return f'[{seq},{body(entry)},"{prev_hash}"]'


def record_hash(seq: int, entry: Entry, prev_hash: str) -> str:
    return hashlib.sha256(serialise(seq, entry, prev_hash).encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class Break:
    """The first record where the chain does not hold, and how."""

    seq: int
    problem: str  # "missing", "edited" or "reordered"
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "problem": self.problem, "detail": self.detail}


class Walk:
    """Walks records in ``seq`` order and finds the first that breaks the chain.

    Each record must be the next ``seq`` (1, 2, 3 ...: a gap is a deleted record), chain to the
    previous record's hash, and hash to its stored ``hash``. A record whose link is broken is
    handed back to the caller (:attr:`suspect`) to be told apart (edited, or moved here from
    another position), since that needs a look at other records.
    """

    def __init__(self) -> None:
        self.expected = 1
        self.prev_hash = GENESIS
        self.checked = 0
        self.head: Record | None = None
        self.broken: Break | None = None
        self.suspect: Record | None = None

    def feed(self, record: Record) -> bool:
        """Check one record; False once the chain is broken (stop reading)."""
        if record.seq != self.expected:
            if record.seq > self.expected:
                self.broken = Break(self.expected, "missing",
                                    f"record {self.expected} is missing (deleted): the next "
                                    f"stored record is {record.seq}")
            else:
                self.broken = Break(record.seq, "reordered",
                                    f"record {record.seq} is out of the sequence 1, 2, 3 ... "
                                    f"(expected {self.expected})")
            return False
        own = record_hash(record.seq, record.entry, record.prev_hash)
        if record.prev_hash != self.prev_hash:
            self.suspect = record
            return False
        if own != record.hash:
            self.broken = Break(record.seq, "edited",
                                f"record {record.seq} does not match its hash: its content "
                                "was changed after it was written")
            return False
        self.prev_hash = record.hash
        self.expected += 1
        self.checked += 1
        self.head = record
        return True


def written_as(record: Record, candidates: list[int]) -> int | None:
    """The position ``record`` was written at, among ``candidates`` (its hash says)."""
    for seq in candidates:
        if seq >= 1 and record_hash(seq, record.entry, record.prev_hash) == record.hash:
            return seq
    return None


def classify(record: Record, candidates: list[int]) -> Break:
    """A record whose ``prev_hash`` is not the previous record's hash: what happened here.

    * its own hash still holds at its ``seq``: the record before it was rewritten (content and
      hash) -- the first edited record is the previous one;
    * its hash holds at another position: it was moved here (records reordered, or renumbered
      after a deletion);
    * neither: the record itself was edited (its link among what changed).
    """
    seq = record.seq
    if record_hash(seq, record.entry, record.prev_hash) == record.hash:
        if seq == 1:
            return Break(1, "edited", "record 1 is not chained to the genesis (64 zeros): it "
                         "was rewritten")
        return Break(seq - 1, "edited",
                     f"record {seq - 1} was rewritten: its hash is not the one record {seq} "
                     "was chained to")
    origin = written_as(record, [c for c in candidates if c != seq])
    if origin is not None:
        return Break(seq, "reordered",
                     f"record {seq} holds the record written as {origin}: records were moved "
                     "or renumbered")
    return Break(seq, "edited",
                 f"record {seq} does not match its hash and is not chained to record {seq - 1}: "
                 "it was changed after it was written")
