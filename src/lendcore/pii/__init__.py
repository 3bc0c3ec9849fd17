"""Personal data: sealed at rest, found by a blind index, shown masked (domain rule 10).

- :mod:`~lendcore.pii.keyring`: the keys, from a file outside the database
  (``LENDCORE_KEYRING``); development keys are refused outside development mode.
- :mod:`~lendcore.pii.sealing`: :func:`seal` / :func:`unseal` (AES-256-GCM, each value carries
  its key id and is bound to its column).
- :mod:`~lendcore.pii.index`: :func:`blind_index` (HMAC-SHA256 with the index key) for exact
  look-ups by ID number or mobile.
- :mod:`~lendcore.pii.masking`: the masks and the age band.
- :mod:`~lendcore.pii.rotation` and :mod:`~lendcore.pii.commands`: ``lendcore keys status`` and
  ``lendcore keys rotate`` over the owners' sealed columns (imported on their own: they need the
  database).

The sealed columns belong to their tables' owners (``customers.store``, ``origination``); this
package writes no table. See docs/personal-data.md.
"""

from lendcore.pii.index import blind_index
from lendcore.pii.keyring import KeyRing, current, require_keys
from lendcore.pii.masking import age_band, mask_bank_card, mask_id_number, mask_mobile, mask_name
from lendcore.pii.sealing import (
    SealError,
    key_id_of,
    seal,
    seal_many,
    seal_reproducibly,
    unseal,
)

__all__ = ["KeyRing", "SealError", "age_band", "blind_index", "current", "key_id_of",
           "mask_bank_card", "mask_id_number", "mask_mobile", "mask_name", "require_keys",
           "seal", "seal_many", "seal_reproducibly", "unseal"]
