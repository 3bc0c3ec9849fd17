"""An external identity provider instead of the built-in users: OIDC discovery and JWKS.

When ``LENDCORE_OIDC_ISSUER`` is set, a bearer token whose ``iss`` is that issuer is validated
against the provider's published keys rather than lendcore's own (:mod:`.tokens`):

1. the discovery document ``<issuer>/.well-known/openid-configuration`` is fetched once per
   process (cached until :func:`reset`); its ``issuer`` must equal the configured one exactly
   (OpenID Connect Discovery, section 4.3), and its ``jwks_uri`` names the keys;
2. the token's header names its algorithm and key: only :data:`ALGORITHMS` (RS256, ES256) are
   accepted, never ``none`` nor an HMAC (a public key used as an HMAC secret is the classic
   algorithm confusion), and the header's ``alg`` must be the algorithm of the key its ``kid``
   names in the JWKS;
3. the keys come from PyJWT's ``PyJWKClient``, which caches the whole key set for
   :data:`JWKS_LIFESPAN_SECONDS` and refetches it once when a token names a key id it does not
   hold (a rotation); a key id still unknown after that is refused. The per-key cache
   (``cache_keys``) is deliberately off: it never expires, so a key the provider withdrew would
   stay trusted until the process restarts; without it a withdrawn key is refused at most one
   lifespan later;
4. the claims: signature, ``aud`` (``LENDCORE_OIDC_AUDIENCE``), ``iss``, ``exp`` (with
   :data:`LEEWAY_SECONDS` for clock skew), and ``exp``, ``iat`` and ``sub`` must be present.

The caller is an operator named ``oidc:<preferred_username or sub>``. Their roles are the list in
the claim ``LENDCORE_OIDC_ROLES_CLAIM`` (default ``roles``; a dotted path such as
``realm_access.roles`` reaches into nested objects, as Keycloak puts them), kept only where it
names one of lendcore's staff roles (:data:`~lendcore.access.policy.STAFF_ROLES`): a provider's
other roles are ignored, and a token with no known role gives a principal with no permission (each
permission check then answers 403; who calls is still known). A string ``agency`` claim is an
agency collector's agency.

Every refusal is :class:`~lendcore.errors.Unauthorized` with a stable code: ``token_expired``,
``token_invalid``, or ``idp_unavailable`` when the provider cannot be reached or answers
nonsense (never a 500). A misconfiguration (an issuer without an audience, an issuer that is not
an http(s) URL, plain http outside development mode) is a
:class:`~lendcore.errors.ConfigurationError` naming the variable: call :func:`settings` at
start-up so the server refuses to start rather than refusing every request.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import jwt

from lendcore import config
from lendcore.access import policy, tokens
from lendcore.errors import ConfigurationError, Unauthorized
from lendcore.principal import OPERATOR, Principal

ISSUER_VARIABLE = "LENDCORE_OIDC_ISSUER"
AUDIENCE_VARIABLE = "LENDCORE_OIDC_AUDIENCE"
ROLES_CLAIM_VARIABLE = "LENDCORE_OIDC_ROLES_CLAIM"
DEFAULT_ROLES_CLAIM = "roles"

ALGORITHMS = ("RS256", "ES256")
LEEWAY_SECONDS = 30
JWKS_LIFESPAN_SECONDS = 300.0
HTTP_TIMEOUT_SECONDS = 5.0
DISCOVERY_PATH = "/.well-known/openid-configuration"
_MAX_DOCUMENT_BYTES = 1 << 20
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]
# What reading the key set may raise (PyJWKClient lets some of urllib's and json's through).
_FETCH_ERRORS = (jwt.PyJWTError, OSError, http.client.HTTPException, ValueError)


@dataclass(frozen=True, slots=True)
class Settings:
    issuer: str
    audience: str
    roles_claim: str  # a claim name, or a dotted path into nested objects


@dataclass(frozen=True, slots=True)
class _Provider:
    issuer: str
    jwks_uri: str
    keys: jwt.PyJWKClient


_lock = threading.Lock()
_provider: _Provider | None = None


def settings() -> Settings | None:
    """The configured provider, read from the environment now; None when none is configured."""
    issuer = os.environ.get(ISSUER_VARIABLE, "").strip()
    if not issuer:
        return None
    _require_http_url(issuer, ISSUER_VARIABLE)
    audience = os.environ.get(AUDIENCE_VARIABLE, "").strip()
    if not audience:
        raise ConfigurationError(
            f"{AUDIENCE_VARIABLE} is required when {ISSUER_VARIABLE} is set (the audience the "
            "identity provider's tokens must name: lendcore's client id there)",
            field=AUDIENCE_VARIABLE)
    roles_claim = os.environ.get(ROLES_CLAIM_VARIABLE, "").strip() or DEFAULT_ROLES_CLAIM
    if any(not part for part in roles_claim.split(".")):
        raise ConfigurationError(f"not a claim name or a dotted path: {roles_claim!r}",
                                 field=ROLES_CLAIM_VARIABLE)
    return Settings(issuer=issuer, audience=audience, roles_claim=roles_claim)


def configured() -> bool:
    """Whether an external identity provider is configured (a half-configured one raises
    :class:`~lendcore.errors.ConfigurationError`)."""
    return settings() is not None


def reset() -> None:
    """Forget the cached discovery document and keys (tests; a changed configuration)."""
    global _provider
    with _lock:
        _provider = None


def verify(token: str) -> Principal:
    """The operator a valid token of the configured provider names; anything else is a 401
    saying why."""
    found = settings()
    if found is None:
        raise Unauthorized("no external identity provider is configured", code="token_invalid")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the token is not a well-formed JWT", code="token_invalid") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise Unauthorized(f"the token's algorithm {algorithm!r} is not accepted (only "
                           f"{', '.join(ALGORITHMS)})", code="token_invalid")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthorized("the token names no key id (kid)", code="token_invalid")
    key = _signing_key(_discover(found), kid)
    if key.algorithm_name != algorithm:
        raise Unauthorized(f"the token says {algorithm} but its key {kid!r} is "
                           f"{key.algorithm_name}", code="token_invalid")
    claims = _decode(token, key.key, algorithm, found)
    return _principal(claims, found.roles_claim)


# --- discovery and keys ------------------------------------------------------------------------


def _discover(found: Settings) -> _Provider:
    global _provider
    with _lock:
        cached = _provider
    if cached is not None and cached.issuer == found.issuer:
        return cached
    # Fetched outside the lock: a slow provider must not queue every request behind one.
    url = found.issuer.rstrip("/") + DISCOVERY_PATH
    document = _fetch_json(url)
    if document.get("issuer") != found.issuer:
        raise Unauthorized(
            f"the identity provider's discovery document names the issuer "
            f"{document.get('issuer')!r}, not {found.issuer!r}", code="idp_unavailable")
    jwks_uri = document.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not _is_acceptable_url(jwks_uri):
        raise Unauthorized(f"the identity provider's discovery document has no usable "
                           f"jwks_uri ({jwks_uri!r})", code="idp_unavailable")
    provider = _Provider(found.issuer, jwks_uri, jwt.PyJWKClient(
        jwks_uri, cache_keys=False, cache_jwk_set=True, lifespan=JWKS_LIFESPAN_SECONDS,
        timeout=HTTP_TIMEOUT_SECONDS))
    with _lock:
        if _provider is None or _provider.issuer != found.issuer:
            _provider = provider
        return _provider


def _signing_key(provider: _Provider, kid: str) -> jwt.PyJWK:
    try:
        # The provider's side first: a key set that cannot be had is the provider's fault.
        provider.keys.get_signing_keys()
    except _FETCH_ERRORS as exc:
        raise Unauthorized(f"the identity provider's keys cannot be read ({exc})",
                           code="idp_unavailable") from None
    try:
        # An unknown kid makes PyJWKClient refetch the set once, then refuse.
        return provider.keys.get_signing_key(kid)
    except jwt.PyJWKClientConnectionError as exc:
        raise Unauthorized(f"the identity provider's keys cannot be read ({exc})",
                           code="idp_unavailable") from None
    except _FETCH_ERRORS:
        raise Unauthorized(f"the token's key {kid!r} is not one the identity provider "
                           "publishes", code="token_invalid") from None


def _fetch_json(url: str) -> dict[str, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
            body = response.read(_MAX_DOCUMENT_BYTES + 1)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, timed out, 4xx/5xx
        raise Unauthorized(f"the identity provider cannot be reached at {url} ({exc})",
                           code="idp_unavailable") from None
    if len(body) > _MAX_DOCUMENT_BYTES:
        raise Unauthorized(f"the identity provider's answer at {url} is too large",
                           code="idp_unavailable")
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise Unauthorized(f"the identity provider's answer at {url} is not a JSON object",
                           code="idp_unavailable")
    return document


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The discovery document is read where it is published, not where a redirect points."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> None:
        return None


def _require_http_url(url: str, variable: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(f"not an http(s) URL: {url!r}", field=variable)
    if parsed.scheme == "http" and not config.development_mode():
        raise ConfigurationError(
            f"refused outside development mode: plain http for the identity provider ({url}); "
            "its keys must come over https", field=variable)


def _is_acceptable_url(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme == "https" and parsed.netloc:
        return True
    return parsed.scheme == "http" and bool(parsed.netloc) and config.development_mode()


# --- claims ------------------------------------------------------------------------------------


def _decode(token: str, key: Any, algorithm: str, found: Settings) -> dict[str, Any]:
    claims = tokens.decode(token, key, [algorithm], found.audience, found.issuer,
                           LEEWAY_SECONDS, _REQUIRED, "sign in again at the identity provider")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Unauthorized("the token names no subject (sub)", code="token_invalid")
    return claims


def _principal(claims: dict[str, Any], roles_claim: str) -> Principal:
    roles = frozenset(_claimed_roles(claims, roles_claim)) & frozenset(policy.STAFF_ROLES)
    name = claims.get("preferred_username")
    if not isinstance(name, str) or not name.strip():
        name = claims["sub"]
    agency = claims.get("agency")
    return Principal(
        actor=f"oidc:{name}", kind=OPERATOR, roles=tuple(sorted(roles)),
        permissions=policy.permissions_of(roles),
        agency_code=agency if isinstance(agency, str) and agency else None)


def _claimed_roles(claims: dict[str, Any], path: str) -> list[str]:
    """The strings at ``path`` (a list of them, or one space-separated string); none when the
    claim is absent or of another shape."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return []
        value = value.get(part)
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []
