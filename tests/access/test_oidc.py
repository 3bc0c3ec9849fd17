"""An external identity provider: tokens validated against its published keys (discovery and
JWKS), roles from a claim. The provider is a small local issuer (``oidc_issuer.py``) run as its
own process over real HTTP; the tests hold the private keys and sign the tokens themselves."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from lendcore.access import oidc, policy
from lendcore.errors import ConfigurationError, Unauthorized

AUDIENCE = "lendcore-api"
ISSUER_SCRIPT = Path(__file__).with_name("oidc_issuer.py")


# --- keys and the issuer process ---------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str  # RS256 | ES256
    private: Any

    def jwk(self) -> dict[str, Any]:
        public = self.private.public_key()
        kind = RSAAlgorithm if self.algorithm == "RS256" else ECAlgorithm
        found: dict[str, Any] = kind.to_jwk(public, as_dict=True)
        return {**found, "kid": self.kid, "use": "sig", "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return bytes(self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def sign(self, claims: dict[str, Any], *, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm,
                          headers={"kid": kid or self.kid})


@pytest.fixture(scope="module")
def rsa_key() -> Key:
    return Key("rsa-1", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@pytest.fixture(scope="module")
def ec_key() -> Key:
    return Key("ec-1", "ES256", ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture(scope="module")
def stranger_key() -> Key:
    """A key the issuer never publishes."""
    return Key("rsa-9", "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))


@dataclass
class Issuer:
    url: str
    jwks_file: Path
    process: subprocess.Popen[str]
    keys: list[Key] = field(default_factory=list)

    def publish(self, *keys: Key) -> None:
        self.jwks_file.write_text(json.dumps({"keys": [k.jwk() for k in keys]}))

    def requests(self) -> dict[str, int]:
        with urllib.request.urlopen(self.url + "/requests", timeout=5) as answer:
            counts: dict[str, int] = json.load(answer)
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_issuer(directory: Path, keys: list[Key], claimed_issuer: str | None = None) -> Issuer:
    jwks_file = directory / f"jwks-{time.monotonic_ns()}.json"
    jwks_file.write_text(json.dumps({"keys": [k.jwk() for k in keys]}))
    args = [sys.executable, "-u", str(ISSUER_SCRIPT), str(jwks_file)]
    if claimed_issuer:
        args.append(claimed_issuer)
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = process.stdout.readline().strip()  # the issuer prints its port once it listens
    if not port.isdigit():
        process.kill()
        _, err = process.communicate(timeout=5)
        pytest.fail(f"the local issuer did not start: {err}")
    return Issuer(f"http://127.0.0.1:{port}", jwks_file, process, list(keys))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    oidc.reset()
    yield
    oidc.reset()


@pytest.fixture()
def issuer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: Key,
           ec_key: Key) -> Iterator[Issuer]:
    running = start_issuer(tmp_path, [rsa_key, ec_key])
    monkeypatch.setenv(oidc.ISSUER_VARIABLE, running.url)
    monkeypatch.setenv(oidc.AUDIENCE_VARIABLE, AUDIENCE)
    monkeypatch.delenv(oidc.ROLES_CLAIM_VARIABLE, raising=False)
    try:
        yield running
    finally:
        running.stop()


def claims_for(issuer: Issuer, **changes: Any) -> dict[str, Any]:
    """A valid token's claims; a change to None leaves that claim out."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer.url, "aud": AUDIENCE, "sub": "3f2c9a1e-user", "iat": now,
        "exp": now + 300, "preferred_username": "li.wei", "roles": ["credit_officer"]}
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def refused(token: str, code: str) -> Unauthorized:
    with pytest.raises(Unauthorized) as err:
        oidc.verify(token)
    assert err.value.code == code, err.value.detail
    assert err.value.http_status == 401
    return err.value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# --- accepted ----------------------------------------------------------------------------------


def test_a_valid_token_gives_an_operator_with_the_mapped_roles(issuer: Issuer,
                                                               rsa_key: Key) -> None:
    token = rsa_key.sign(claims_for(issuer, roles=["finance", "credit_officer"]))
    principal = oidc.verify(token)
    assert principal.actor == "oidc:li.wei"
    assert principal.kind == "operator"
    assert principal.roles == ("credit_officer", "finance")
    assert principal.permissions == policy.permissions_of(("credit_officer", "finance"))
    assert principal.may("line.set_limit") and principal.may("ledger.read")
    assert not principal.may("users.manage")
    assert (principal.customer_id, principal.agency_code, principal.session_id) == (
        None, None, None)


def test_an_es256_token_is_accepted(issuer: Issuer, ec_key: Key) -> None:
    assert oidc.verify(ec_key.sign(claims_for(issuer))).roles == ("credit_officer",)


def test_without_a_username_the_subject_names_the_actor_and_an_agency_claim_is_kept(
        issuer: Issuer, rsa_key: Key) -> None:
    token = rsa_key.sign(claims_for(issuer, preferred_username=None, roles=["agency_collector"],
                                    agency="AG-7"))
    principal = oidc.verify(token)
    assert principal.actor == "oidc:3f2c9a1e-user"
    assert principal.agency_code == "AG-7"
    assert principal.permissions == policy.ROLES["agency_collector"]


def test_unknown_roles_are_dropped_and_client_or_borrower_roles_are_not_staff(
        issuer: Issuer, rsa_key: Key) -> None:
    token = rsa_key.sign(claims_for(issuer, roles=[
        "offline_access", "collector", "uma_authorization", "merchant", "borrower", 7]))
    principal = oidc.verify(token)
    assert principal.roles == ("collector",)
    assert principal.permissions == policy.ROLES["collector"]


@pytest.mark.parametrize("roles", [["offline_access"], [], None, "not-a-role", {"a": 1}])
def test_a_token_with_no_known_role_is_a_known_caller_with_no_permission(
        issuer: Issuer, rsa_key: Key, roles: Any) -> None:
    principal = oidc.verify(rsa_key.sign(claims_for(issuer, roles=roles)))
    assert principal.actor == "oidc:li.wei"
    assert principal.roles == ()
    assert principal.permissions == frozenset()
    assert not principal.may("system.read")


def test_a_dotted_roles_claim_reaches_into_nested_objects(
        issuer: Issuer, rsa_key: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(oidc.ROLES_CLAIM_VARIABLE, "realm_access.roles")
    token = rsa_key.sign(claims_for(
        issuer, roles=["administrator"],  # the top-level claim is not the configured one
        realm_access={"roles": ["risk_analyst", "default-roles-lendcore"]}))
    principal = oidc.verify(token)
    assert principal.roles == ("risk_analyst",)
    assert principal.permissions == policy.ROLES["risk_analyst"]
    # the path missing, or a step that is not an object: no roles
    assert oidc.verify(rsa_key.sign(claims_for(issuer, realm_access="x"))).roles == ()


def test_a_space_separated_roles_string_is_read(issuer: Issuer, rsa_key: Key) -> None:
    token = rsa_key.sign(claims_for(issuer, roles="finance other"))
    assert oidc.verify(token).roles == ("finance",)


def test_the_discovery_document_is_fetched_once_and_the_keys_are_cached(
        issuer: Issuer, rsa_key: Key, ec_key: Key) -> None:
    for _ in range(3):
        oidc.verify(rsa_key.sign(claims_for(issuer)))
        oidc.verify(ec_key.sign(claims_for(issuer)))
    counts = issuer.requests()
    assert counts.get("/.well-known/openid-configuration") == 1
    assert counts.get("/jwks") == 1


def test_within_the_leeway_a_just_expired_token_is_still_accepted(issuer: Issuer,
                                                                   rsa_key: Key) -> None:
    now = int(time.time())
    token = rsa_key.sign(claims_for(issuer, iat=now - 600, exp=now - 5))
    assert oidc.verify(token).actor == "oidc:li.wei"


# --- refused -----------------------------------------------------------------------------------


def test_an_expired_token_is_refused_as_expired(issuer: Issuer, rsa_key: Key) -> None:
    now = int(time.time())
    token = rsa_key.sign(claims_for(issuer, iat=now - 3600, exp=now - oidc.LEEWAY_SECONDS - 60))
    refused(token, "token_expired")


@pytest.mark.parametrize(("changes", "says"), [
    ({"aud": "another-app"}, "audience"),
    ({"aud": None}, "aud"),
    ({"iss": "http://127.0.0.1:1/other"}, "issuer"),
    ({"exp": None}, "exp"),
    ({"iat": None}, "iat"),
    ({"sub": None}, "sub"),
    ({"sub": ""}, "sub"),
    ({"nbf": int(time.time()) + 3600}, "not yet valid"),
])
def test_a_token_with_wrong_or_missing_claims_is_refused(
        issuer: Issuer, rsa_key: Key, changes: dict[str, Any], says: str) -> None:
    error = refused(rsa_key.sign(claims_for(issuer, **changes)), "token_invalid")
    assert says in error.detail


def test_a_token_signed_by_a_key_the_issuer_does_not_publish_is_refused(
        issuer: Issuer, rsa_key: Key, stranger_key: Key) -> None:
    claims = claims_for(issuer, roles=["administrator"])
    error = refused(stranger_key.sign(claims), "token_invalid")
    assert "rsa-9" in error.detail and "not one the identity provider publishes" in error.detail
    # the stranger's key under a published key id: the signature does not verify
    refused(stranger_key.sign(claims, kid=rsa_key.kid), "token_invalid")


def test_a_tampered_payload_is_refused(issuer: Issuer, rsa_key: Key) -> None:
    header, _, signature = rsa_key.sign(claims_for(issuer)).split(".")
    forged = _b64(json.dumps(claims_for(issuer, roles=["administrator"])).encode())
    refused(f"{header}.{forged}.{signature}", "token_invalid")


def test_an_unsigned_token_is_refused_without_asking_the_issuer(issuer: Issuer,
                                                                rsa_key: Key) -> None:
    claims = claims_for(issuer, roles=["administrator"])
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": rsa_key.kid})
    refused(unsigned, "token_invalid")
    header = _b64(json.dumps({"alg": "None", "kid": rsa_key.kid}).encode())
    refused(f"{header}.{_b64(json.dumps(claims).encode())}.", "token_invalid")
    assert issuer.requests().get("/jwks") is None


def test_an_hmac_token_keyed_with_the_published_public_key_is_refused(
        issuer: Issuer, rsa_key: Key) -> None:
    """Algorithm confusion: HS256 with the provider's public key (PEM or JWK text) as secret."""
    claims = claims_for(issuer, roles=["administrator"])
    for secret in (rsa_key.public_pem(), json.dumps(rsa_key.jwk()).encode()):
        for alg in ("HS256", "HS512"):
            header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": rsa_key.kid}).encode())
            payload = _b64(json.dumps(claims).encode())
            digest = hashlib.sha512 if alg == "HS512" else hashlib.sha256
            mac = hmac.new(secret, f"{header}.{payload}".encode(), digest).digest()
            error = refused(f"{header}.{payload}.{_b64(mac)}", "token_invalid")
            assert alg in error.detail


def test_a_token_whose_algorithm_is_not_its_keys_is_refused(
        issuer: Issuer, rsa_key: Key, ec_key: Key) -> None:
    # signed with the EC key (ES256) but naming the RSA key: the key's algorithm decides
    error = refused(ec_key.sign(claims_for(issuer), kid=rsa_key.kid), "token_invalid")
    assert "RS256" in error.detail


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c", "e30.e30.", "...."])
def test_a_malformed_token_is_refused(issuer: Issuer, token: str) -> None:
    refused(token, "token_invalid")


def test_a_token_without_a_key_id_is_refused(issuer: Issuer, rsa_key: Key) -> None:
    token = jwt.encode(claims_for(issuer), rsa_key.private, algorithm="RS256")
    assert "kid" in refused(token, "token_invalid").detail


# --- key rotation and withdrawal ---------------------------------------------------------------


def test_a_rotated_key_is_taken_and_a_withdrawn_one_refused_once_the_key_set_expires(
        issuer: Issuer, rsa_key: Key, stranger_key: Key,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oidc, "JWKS_LIFESPAN_SECONDS", 0.5)
    oidc.verify(rsa_key.sign(claims_for(issuer)))
    new = Key("rsa-2", "RS256", stranger_key.private)
    issuer.publish(new)  # rsa-1 withdrawn, rsa-2 published
    time.sleep(0.7)
    assert oidc.verify(new.sign(claims_for(issuer))).actor == "oidc:li.wei"
    refused(rsa_key.sign(claims_for(issuer)), "token_invalid")


# --- the provider unavailable or misconfigured -------------------------------------------------


def test_a_stopped_issuer_is_idp_unavailable_not_another_error(issuer: Issuer,
                                                               rsa_key: Key) -> None:
    token = rsa_key.sign(claims_for(issuer))
    issuer.stop()
    error = refused(token, "idp_unavailable")
    assert "cannot be reached" in error.detail
    refused(token, "idp_unavailable")  # a failure is not cached: asked again, still refused


def test_cached_keys_outlive_a_short_outage_until_they_expire(
        issuer: Issuer, rsa_key: Key, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oidc, "JWKS_LIFESPAN_SECONDS", 0.5)
    token = rsa_key.sign(claims_for(issuer))
    oidc.verify(token)
    issuer.stop()
    assert oidc.verify(token).actor == "oidc:li.wei"  # discovery and keys are cached
    time.sleep(0.7)
    error = refused(token, "idp_unavailable")  # the key set expired and cannot be refetched
    assert "keys cannot be read" in error.detail


def test_a_discovery_document_naming_another_issuer_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rsa_key: Key) -> None:
    running = start_issuer(tmp_path, [rsa_key], claimed_issuer="https://evil.example")
    try:
        monkeypatch.setenv(oidc.ISSUER_VARIABLE, running.url)
        monkeypatch.setenv(oidc.AUDIENCE_VARIABLE, AUDIENCE)
        error = refused(rsa_key.sign(claims_for(running)), "idp_unavailable")
        assert "https://evil.example" in error.detail
    finally:
        running.stop()


def test_a_key_set_that_is_not_json_is_idp_unavailable(issuer: Issuer, rsa_key: Key) -> None:
    issuer.jwks_file.write_text("[]")
    refused(rsa_key.sign(claims_for(issuer)), "idp_unavailable")


def test_without_an_issuer_nothing_is_configured_and_verify_refuses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(oidc.ISSUER_VARIABLE, raising=False)
    assert not oidc.configured()
    assert oidc.settings() is None
    refused("a.b.c", "token_invalid")


def test_an_issuer_without_an_audience_is_a_configuration_error_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(oidc.ISSUER_VARIABLE, "http://127.0.0.1:9999")
    monkeypatch.delenv(oidc.AUDIENCE_VARIABLE, raising=False)
    with pytest.raises(ConfigurationError, match="LENDCORE_OIDC_AUDIENCE") as err:
        oidc.configured()
    assert err.value.field == "LENDCORE_OIDC_AUDIENCE"


@pytest.mark.parametrize(("variable", "value", "mode", "says"), [
    ("LENDCORE_OIDC_ISSUER", "ftp://idp.example", "development", r"not an http\(s\) URL"),
    ("LENDCORE_OIDC_ISSUER", "idp.example", "development", r"not an http\(s\) URL"),
    ("LENDCORE_OIDC_ISSUER", "http://idp.example", "production", "plain http"),
    ("LENDCORE_OIDC_ROLES_CLAIM", "realm_access..roles", "development", "dotted path"),
])
def test_a_malformed_setting_is_refused_naming_its_variable(
        monkeypatch: pytest.MonkeyPatch, variable: str, value: str, mode: str,
        says: str) -> None:
    monkeypatch.setenv("LENDCORE_MODE", mode)
    monkeypatch.setenv(oidc.ISSUER_VARIABLE, "https://idp.example/realms/lendcore")
    monkeypatch.setenv(oidc.AUDIENCE_VARIABLE, AUDIENCE)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=says) as err:
        oidc.settings()
    assert err.value.field == variable


def test_settings_read_the_environment_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(oidc.ISSUER_VARIABLE, "https://idp.example/realms/lendcore")
    monkeypatch.setenv(oidc.AUDIENCE_VARIABLE, AUDIENCE)
    monkeypatch.setenv("LENDCORE_MODE", "production")
    assert oidc.settings() == oidc.Settings(
        "https://idp.example/realms/lendcore", AUDIENCE, "roles")
    monkeypatch.setenv(oidc.ROLES_CLAIM_VARIABLE, "realm_access.roles")
    found = oidc.settings()
    assert found is not None and found.roles_claim == "realm_access.roles"
