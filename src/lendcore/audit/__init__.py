"""The audit trail: who did what, when, from where, with what outcome, hash-chained.

Every command run through ``runner.execute`` appends one record (in its own transaction; a
refused command in a small one of its own), and every read of unmasked personal data appends
one with its reason (:func:`record_read`). ``lendcore audit verify`` recomputes the chain and
names the first record edited, deleted or reordered. See ``docs/audit.md``.
"""

from lendcore.audit.chain import (
    GENESIS,
    PERSONAL_FIELDS,
    REDACTED,
    Break,
    Entry,
    Record,
    canonical_payload,
    redact,
)
from lendcore.audit.log import (
    READ_PREFIX,
    Verdict,
    Who,
    append,
    append_now,
    entry,
    last,
    read_unmasked,
    record_read,
    verify,
)

__all__ = ["GENESIS", "PERSONAL_FIELDS", "READ_PREFIX", "REDACTED", "Break", "Entry", "Record",
           "Verdict", "Who", "append", "append_now", "canonical_payload", "entry", "last",
           "read_unmasked", "record_read", "redact", "verify"]
