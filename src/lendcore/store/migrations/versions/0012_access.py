"""access: operators, sign-in sessions, machine clients, pending four-eyes commands

Revision ID: 0012_access
Revises: 0011_sealed_identity
Create Date: 2026-12-03 13:00:00

Who may call (``lendcore.access``): users with argon2 password hashes and roles, the sessions
their tokens belong to (revocation), API clients with hashed keys and a scope, and commands
waiting for a second pair of eyes (one pending copy of a command at a time).
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_access'
down_revision = '0011_sealed_identity'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', ID, primary_key=True, autoincrement=True),
        sa.Column('username', sa.String(64), nullable=False, unique=True),
        sa.Column('password_hash', sa.Text()),
        sa.Column('roles', sa.Text(), nullable=False, server_default=''),
        sa.Column('agency_code', sa.String(64)),
        sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_at', AT, nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
    )
    op.create_table(
        'sessions',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('subject', sa.String(64), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('refresh_hash', sa.String(64), unique=True),
        sa.Column('created_at', AT, nullable=False),
        sa.Column('expires_at', AT, nullable=False),
        sa.Column('revoked_at', AT),
        sa.Column('revoked_by', sa.Text()),
    )
    op.create_table(
        'api_clients',
        sa.Column('id', ID, primary_key=True, autoincrement=True),
        sa.Column('client_id', sa.String(64), nullable=False, unique=True),
        sa.Column('secret_hash', sa.String(64), nullable=False),
        sa.Column('scope', sa.String(32), nullable=False),
        sa.Column('merchant_id', sa.String(64)),
        sa.Column('disabled', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('created_at', AT, nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
    )
    op.create_table(
        'pending_commands',
        sa.Column('id', ID, primary_key=True, autoincrement=True),
        sa.Column('command', sa.String(64), nullable=False),
        sa.Column('payload_json', sa.Text(), nullable=False),
        sa.Column('payload_hash', sa.String(64), nullable=False),
        sa.Column('idempotency_key', sa.String(128)),
        sa.Column('permission', sa.String(64), nullable=False),
        sa.Column('why', sa.Text(), nullable=False),
        sa.Column('maker', sa.Text(), nullable=False),
        sa.Column('maker_role', sa.Text()),
        sa.Column('proposed_at', AT, nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('checker', sa.Text()),
        sa.Column('checked_at', AT),
        sa.Column('reason', sa.Text()),
        sa.Column('result_json', sa.Text()),
    )
    op.create_index('uq_pending_command_once', 'pending_commands', ['command', 'payload_hash'],
                    unique=True, sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_index('uq_pending_command_once', table_name='pending_commands')
    for table in ('pending_commands', 'api_clients', 'sessions', 'users'):
        op.drop_table(table)
