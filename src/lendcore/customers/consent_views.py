"""What a consent and a customer's consents look like to a caller (times in UTC, ISO 8601)."""

from __future__ import annotations

from typing import Any

from lendcore.customers.consents import Consent, Consents


def consent(value: Consent) -> dict[str, Any]:
    return {
        "consent_id": value.consent_id, "customer_id": value.customer_id,
        "purpose": value.purpose, "version": value.version, "granted": value.granted,
        "state": "given" if value.granted else "withdrawn", "channel": value.channel,
        "at": value.at.isoformat(), "actor": value.actor,
    }


def _state(value: Consent | None) -> dict[str, Any]:
    if value is None:
        return {"state": "none", "granted": False, "version": None, "channel": None, "at": None}
    return {"state": "given" if value.granted else "withdrawn", "granted": value.granted,
            "version": value.version, "channel": value.channel, "at": value.at.isoformat()}


def consents(value: Consents) -> dict[str, Any]:
    """The current state of every purpose (``none``: never asked) and the history, oldest
    first."""
    return {
        "customer_id": value.customer_id,
        "current": {purpose: _state(c) for purpose, c in value.current.items()},
        "history": [consent(c) for c in value.history],
    }
