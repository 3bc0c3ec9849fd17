"""Typed business errors with stable codes.

Every error the domain raises carries a stable ``code``, a human ``detail`` and, where it comes
from one input, the ``field`` it names. The HTTP API and the CLI each map these in one place:
``api/app.py`` answers ``{"error": code, "detail": ..., "field": ...}`` with the error's
``http_status``; ``cli.py`` prints one line ``error: <field>: <detail>`` and exits 2. An input
mistake is never a 500 and never a traceback.

    >>> raise InvalidInput("must be greater than 0", field="principal")
"""

from __future__ import annotations


class LendcoreError(Exception):
    """Base of every expected (business or input) error."""

    code: str = "error"
    http_status: int = 400

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"error": self.code, "detail": self.detail, "field": self.field}

    def __str__(self) -> str:
        return f"{self.field}: {self.detail}" if self.field else self.detail


class InvalidInput(LendcoreError):
    """The caller's input is malformed or out of the accepted range; nothing changed."""

    code = "invalid_input"
    http_status = 422


class NotFound(LendcoreError):
    code = "not_found"
    http_status = 404


class Conflict(LendcoreError):
    """Idempotency-key reuse with another payload, or a concurrent change (version check)."""

    code = "conflict"
    http_status = 409


class RuleViolation(LendcoreError):
    """A well-formed request that a business or regulatory rule refuses (e.g. rate over cap)."""

    code = "rule_violation"
    http_status = 422


class UnknownCalendarYear(LendcoreError):
    """The holiday calendar has no data for the year asked; we refuse rather than guess."""

    code = "unknown_calendar_year"
    http_status = 422


class ConfigurationError(LendcoreError):
    """The server's configuration (environment) is refused; it does not start."""

    code = "configuration"
    http_status = 500


class Unauthorized(LendcoreError):
    """No credentials, or credentials refused (expired, tampered, revoked): who calls is unknown."""

    code = "unauthorized"
    http_status = 401


class Forbidden(LendcoreError):
    """The caller is known but may not do this (a permission, a borrower's own loans, four
    eyes); nothing changed."""

    code = "forbidden"
    http_status = 403
