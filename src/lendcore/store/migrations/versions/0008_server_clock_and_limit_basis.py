"""server clock on decisions and reviews; what each limit change rests on

Revision ID: 0008_server_clock
Revises: 0007_one_open_review
Create Date: 2026-12-03 10:00:00

One clock: a decision and a review carry the server's time (``decided_at``, ``requested_at``),
never a date the caller chose. One owner of credit lines: every limit change names who made it
and the decision or review it rests on.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008_server_clock'
down_revision = '0007_one_open_review'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('decisions') as batch:
        batch.add_column(sa.Column('decided_at', sa.DateTime(timezone=True)))
    with op.batch_alter_table('reviews') as batch:
        batch.add_column(sa.Column('requested_at', sa.DateTime(timezone=True)))
        batch.add_column(sa.Column('decided_at', sa.DateTime(timezone=True)))
    with op.batch_alter_table('limit_changes') as batch:
        batch.add_column(sa.Column('decision_id', sa.BigInteger()))
        batch.add_column(sa.Column('review_id', sa.BigInteger()))
        batch.add_column(sa.Column('actor', sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table('limit_changes') as batch:
        batch.drop_column('actor')
        batch.drop_column('review_id')
        batch.drop_column('decision_id')
    with op.batch_alter_table('reviews') as batch:
        batch.drop_column('decided_at')
        batch.drop_column('requested_at')
    with op.batch_alter_table('decisions') as batch:
        batch.drop_column('decided_at')
