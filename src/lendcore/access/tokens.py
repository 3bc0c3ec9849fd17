"""lendcore's own tokens: short-lived signed access tokens and opaque refresh tokens.

An access token is a JWT (PyJWT, HS256) signed with the key ring's ``token_key``::

    {"iss": "lendcore", "aud": "lendcore-api", "sub": "li.wei", "kind": "operator",
     "roles": ["credit_officer"], "sid": "<session id>", "iat": ..., "exp": ..., "jti": ...}

It lives :data:`ACCESS_TTL`; it names its session (``sid``), and a request is refused once that
session is revoked (sign-out, a role change, a disabled user). A borrower token has kind
``borrower`` and the customer's id in ``cid``. A refresh token is 256 random bits, kept only as
its SHA-256 digest, and is replaced at each use (a reused one revokes its session).

Times are the wall clock's (``time.time``), not the business clock: a token's life is real time.
Outside development mode the server refuses to start without a ``token_key`` in the key ring.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt

from lendcore import config
from lendcore.errors import ConfigurationError, Unauthorized
from lendcore.pii import keyring

ISSUER = "lendcore"
AUDIENCE = "lendcore-api"
ALGORITHM = "HS256"
ACCESS_TTL = timedelta(minutes=15)
OPERATOR_REFRESH_TTL = timedelta(hours=12)
BORROWER_REFRESH_TTL = timedelta(days=30)
LEEWAY_SECONDS = 5
# Fixed and public: only development mode accepts tokens signed with it.
DEV_TOKEN_KEY = hashlib.sha256(b"lendcore-development-only-token-key").digest()
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "sid"]


def signing_key() -> bytes:
    """The key ring's token key; the development key only in development mode."""
    ring = keyring.current()
    if ring.token_key is not None:
        return ring.token_key
    if config.development_mode():
        return DEV_TOKEN_KEY
    raise ConfigurationError(
        "refused outside development mode: the development token-signing key (the key ring "
        f"{ring.source} has no token_key; `lendcore keys new` writes one)",
        field="LENDCORE_KEYRING")


def require_signing_key() -> None:
    """The server's start-up check (beside ``pii.require_keys``)."""
    signing_key()


def issue(subject: str, kind: str, roles: list[str], session_id: str, *,
          customer_id: int | None = None, ttl: timedelta = ACCESS_TTL,
          now: float | None = None, key: bytes | None = None) -> str:
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "kind": kind, "roles": roles,
        "sid": session_id, "iat": issued, "exp": issued + int(ttl.total_seconds()),
        "jti": uuid.uuid4().hex}
    if customer_id is not None:
        claims["cid"] = customer_id
    return jwt.encode(claims, key or signing_key(), algorithm=ALGORITHM)


def verify(token: str) -> dict[str, Any]:
    """The claims of a valid access token; anything else is a 401 saying why."""
    claims = decode(token, signing_key(), [ALGORITHM], AUDIENCE, ISSUER, LEEWAY_SECONDS,
                    _REQUIRED, "refresh it or sign in again")
    if not isinstance(claims.get("roles"), list) or claims.get("kind") not in (
            "operator", "borrower"):
        raise Unauthorized("the token lacks its kind or roles", code="token_invalid")
    return claims


def decode(token: str, key: Any, algorithms: list[str], audience: str, issuer: str,
           leeway: int, required: list[str], when_expired: str) -> dict[str, Any]:
    """PyJWT's checks of a token (signature, audience, issuer, times, required claims), each
    refusal a 401 naming why (lendcore's tokens and the identity provider's alike)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=algorithms, audience=audience, issuer=issuer,
            leeway=leeway, options={"require": required})
    except jwt.ExpiredSignatureError:
        raise Unauthorized(f"the token has expired; {when_expired}",
                           code="token_expired") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized("the token is for another audience", code="token_invalid") from None
    except jwt.InvalidIssuerError:
        raise Unauthorized("the token is from another issuer", code="token_invalid") from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("the token's signature does not verify",
                           code="token_invalid") from None
    except (jwt.PyJWTError, ValueError) as exc:
        raise Unauthorized(f"the token is refused ({exc})", code="token_invalid") from None
    return claims


def new_secret() -> str:
    """256 random bits, URL-safe (a refresh token, an API key's secret)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def unverified_issuer(token: str) -> str | None:
    """The ``iss`` a token claims (to choose its validator; nothing is trusted from it)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    issuer = claims.get("iss")
    return issuer if isinstance(issuer, str) else None
