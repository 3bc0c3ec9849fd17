"""one open review per decision

Revision ID: 0007_one_open_review
Revises: 0003_origination
Create Date: 2026-11-22 19:00:00

``request_review`` checks for an open review before adding one; on PostgreSQL (READ COMMITTED)
two requests at the same moment both passed that check. A partial unique index makes the second
fail, and the service turns it into the same 409 as the check.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007_one_open_review'
down_revision = '0003_origination'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('uq_reviews_open_decision', 'reviews', ['decision_id'], unique=True,
                    postgresql_where=sa.text("status = 'open'"),
                    sqlite_where=sa.text("status = 'open'"))


def downgrade() -> None:
    op.drop_index('uq_reviews_open_decision', table_name='reviews')
