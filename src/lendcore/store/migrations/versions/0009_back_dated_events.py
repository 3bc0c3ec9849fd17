"""loan events record the business date they were booked on

Revision ID: 0009_booked_on
Revises: 0006_eod
Create Date: 2026-12-03 10:00:00

A repayment's value date may be back-dated (never after the business date, never before the
loan's start); ``booked_on`` is the business date it was entered, so a back-dated fact is
recorded as one (``effective_date < booked_on``).
"""

import sqlalchemy as sa
from alembic import op

revision = '0009_booked_on'
down_revision = '0006_eod'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loan_events') as batch:
        batch.add_column(sa.Column('booked_on', sa.Date()))


def downgrade() -> None:
    with op.batch_alter_table('loan_events') as batch:
        batch.drop_column('booked_on')
