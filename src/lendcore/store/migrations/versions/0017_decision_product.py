"""decision product wait: every assessed decision starts its product's 180-day wait

Revision ID: 0017_decision_product
Revises: 0014_case_collector
Create Date: 2026-12-14 12:00:00

One application per product every 180 days, whatever the outcome (seed 001: 每半年只能申请一次;
``origination/ladder.py``). A decision now records ``reapply_after`` (its date + 180 days) on
approvals and referrals too, and the wait is looked up by ID hash and product
(``decisions.product_code``, there since 0003: no schema change). Decisions recorded before
set it on declines only; this fills it in on the approvals and referrals that assessed an
identity (``id_number_hash`` set), so an applicant approved just before the upgrade still
waits. Downgrade leaves the dates: the earlier code reads the waits of declines only.
"""

from alembic import op

revision = '0017_decision_product'
down_revision = '0014_case_collector'
branch_labels = None
depends_on = None

_WHERE = ("WHERE reapply_after IS NULL AND id_number_hash IS NOT NULL "
          "AND outcome IN ('approve', 'refer')")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"UPDATE decisions SET reapply_after = decided_on + 180 {_WHERE}")
    else:  # SQLite keeps a date as ISO text; date() answers the same form
        op.execute(f"UPDATE decisions SET reapply_after = date(decided_on, '+180 days') {_WHERE}")


def downgrade() -> None:
    pass
