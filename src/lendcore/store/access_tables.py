"""Who may call: operators, their sign-in sessions, machine clients, and pending commands.

Owned by ``lendcore/access/`` (the only writer). Nothing secret is stored in a readable form:
a password is an argon2 hash, a refresh token and an API key are SHA-256 digests of 256-bit
random secrets (a slow hash adds nothing to a secret that cannot be guessed, and would cost every
machine call its milliseconds).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, String, Table, Text, text

from lendcore.store.audit_tables import UtcDateTime
from lendcore.store.base import IdType, metadata

users = Table(
    "users",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    # argon2id (``access.passwords``); NULL: cannot sign in over the API (the local operator
    # bootstrapped by the CLI until a password is set).
    Column("password_hash", Text),
    Column("roles", Text, nullable=False, server_default=""),  # comma-separated role names
    Column("agency_code", String(64)),  # an agency collector's agency
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", Text, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # the ``sid`` claim of every token it issues
    Column("subject", String(64), nullable=False),  # a username or "customer:<id>"
    Column("kind", String(16), nullable=False),  # operator | borrower
    Column("refresh_hash", String(64), unique=True),  # SHA-256 of the current refresh token
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),  # of the refresh token
    Column("revoked_at", UtcDateTime()),
    Column("revoked_by", Text),
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),  # SHA-256 of the secret part
    Column("scope", String(32), nullable=False),  # a client role: merchant | gateway | bureau
    Column("merchant_id", String(64)),  # a merchant client's merchant
    Column("disabled", Boolean, nullable=False, server_default="0"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", Text, nullable=False),
)

pending_commands = Table(
    "pending_commands",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("command", String(64), nullable=False),
    Column("payload_json", Text, nullable=False),  # the canonical command, exactly as proposed
    Column("payload_hash", String(64), nullable=False),
    Column("idempotency_key", String(128)),
    Column("permission", String(64), nullable=False),  # the maker's permission
    Column("why", Text, nullable=False),  # why it needs a checker
    Column("maker", Text, nullable=False),
    Column("maker_role", Text),
    Column("proposed_at", UtcDateTime(), nullable=False),
    Column("status", String(16), nullable=False),  # pending | approved | rejected | failed
    Column("checker", Text),
    Column("checked_at", UtcDateTime()),
    Column("reason", Text),  # the checker's
    Column("result_json", Text),
    # One pending copy of a command: a second proposal of the same payload is refused.
    Index("uq_pending_command_once", "command", "payload_hash", unique=True,
          sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
)
