"""A referral's identity, sealed on its decision until a reviewer decides.

An approval's identity goes to the customer (``customers.store.identity_columns``); a decline
keeps only the ID-number hash. A referral has no customer yet, but a reviewer's approval opens
one (``reviews.record_outcome``): so the decision keeps the full name, ID number and mobile
sealed (``pii.sealing``, bound to ``decisions.<column>``), and the approval opens them and seals
them again for the customer's columns. :data:`SEALED` gives ``lendcore keys`` these columns and
origination's compare-and-set writer for a rotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, update

from lendcore import pii
from lendcore.origination.model import Identity
from lendcore.pii.rotation import Resealed, SealedTable, reseal_rows
from lendcore.store.origination_tables import decisions

NAME, ID_NUMBER, MOBILE = ("decisions.name_sealed", "decisions.id_number_sealed",
                           "decisions.mobile_sealed")
SEALED_COLUMNS = ("name_sealed", "id_number_sealed", "mobile_sealed")
NO_IDENTITY: dict[str, str | None] = dict.fromkeys(SEALED_COLUMNS)


def decision_identity(identity: Identity, ring: pii.KeyRing | None = None
                      ) -> dict[str, str | None]:
    """A referral's identity, sealed for the decision's columns."""
    ring = ring or pii.current()
    return {"name_sealed": pii.seal(identity.name.strip(), NAME, ring),
            "id_number_sealed": pii.seal(identity.id_number.strip().upper(), ID_NUMBER, ring),
            "mobile_sealed": pii.seal(identity.mobile.strip(), MOBILE, ring)}


def open_identity(row: Any) -> tuple[str | None, str | None, str | None]:
    """A decision row's sealed (name, ID number, mobile), opened; None where none was kept
    (a referral recorded before identities were sealed). An unmasked read: its only caller is
    the reviewer's approval, which seals them again for the customer at once."""
    ring = pii.current()
    return tuple(  # type: ignore[return-value]
        None if value is None else pii.unseal(value, aad, ring)
        for value, aad in ((row.name_sealed, NAME), (row.id_number_sealed, ID_NUMBER),
                           (row.mobile_sealed, MOBILE)))


def _reseal_statement(column: str) -> Any:
    return (update(decisions)
            .where(decisions.c.id == bindparam("rid"), decisions.c[column] == bindparam("old"))
            .values({column: bindparam("new")}))


_RESEAL = {c: _reseal_statement(c) for c in SEALED_COLUMNS}


def reseal(conn: Connection, changes: Sequence[Resealed]) -> int:
    """A rotation's batch (rows written): see ``pii.rotation.reseal_rows``."""
    return reseal_rows(conn, _RESEAL, changes)


SEALED = SealedTable(decisions, SEALED_COLUMNS, reseal)
