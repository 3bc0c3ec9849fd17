"""Shared by the servicing commands: posting a loan's change to the ledger."""

from __future__ import annotations

from datetime import date

from lendcore.ledger.store import post_fresh
from lendcore.servicing.ledger_bridge import entries_for
from lendcore.servicing.model import Totals
from lendcore.store.batch import WriteBatch


def post_delta(batch: WriteBatch, delta: Totals, loan_id: int, product_code: str, bd: date,
               checkout: bool, source_key: str) -> None:
    """Post the change ``delta`` in a loan's cumulative totals (see ``ledger_bridge``), in the
    command's closing batch."""
    entries = entries_for(delta, loan_id=loan_id, product_code=product_code,
                          effective_date=bd, checkout=checkout, source_key=source_key)
    if entries:
        # Source keys name the loan's version as the command read it (or a plan's key): always
        # fresh, so the ledger skips its duplicate look-up.
        post_fresh(batch, entries)

