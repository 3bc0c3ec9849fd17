"""Who calls, as sign-in established it: an operator, a machine client or a borrower.

A value the API's pipeline (``access.guard``) and the CLI (``cli_support``) build and pass down in
``runner.Context``; the runner checks every command's permission against it. Pure: the roles'
permissions come from ``access.policy`` when the principal is built.
"""

from __future__ import annotations

from dataclasses import dataclass

OPERATOR, CLIENT, BORROWER = "operator", "client", "borrower"


@dataclass(frozen=True, slots=True)
class Principal:
    """``actor``: a username, ``client:<id>``, ``customer:<id>`` or ``oidc:<name>``."""

    actor: str
    kind: str  # operator | client | borrower
    roles: tuple[str, ...]
    permissions: frozenset[str]
    customer_id: int | None = None  # a borrower's own customer
    agency_code: str | None = None  # an agency collector's agency
    merchant_id: str | None = None  # a merchant client's merchant
    session_id: str | None = None  # the session a token belongs to (sign-out revokes it)

    @property
    def role(self) -> str:
        return ",".join(self.roles)

    def may(self, permission: str) -> bool:
        return permission in self.permissions
