"""Operators' passwords: argon2id hashes through argon2-cffi, never the password itself.

The parameters are argon2-cffi's RFC 9106 "low memory" profile (t=3, m=64 MiB, p=4): about
50 ms per sign-in here, paid only at sign-in (a request carries a token, not a password).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from lendcore.errors import InvalidInput

MIN_LENGTH, MAX_LENGTH = 12, 128
_HASHER = PasswordHasher()
# Verified when the user is unknown, so an unknown name costs what a wrong password costs.
_DUMMY = _HASHER.hash("lendcore-no-such-user-dummy-password")


def check_policy(password: str, field: str = "password") -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters",
                           field=field)
    if password.strip() != password or len(set(password)) < 5:
        raise InvalidInput("a password may not start or end with spaces and needs at least 5 "
                           "different characters", field=field)
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_policy(password))


def verify(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored`` (an unknown user: ``stored`` None)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
