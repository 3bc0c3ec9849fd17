"""Whose data a caller may touch, beyond the permission: a borrower's own, a merchant's own.

A permission says what kind of operation a principal may run (``loan.repay``); the scope says on
which records. A borrower token reaches only its customer, that customer's lines and loans; a
merchant client only its merchant's checkout loans; a collector only the cases assigned to them
and an agency collector only its agency's (``collections``: :data:`CASE_SCOPE`). Staff roles
other than collectors see the whole book. A record outside the scope is a 403 that changes
nothing, whether or not it exists (so a borrower cannot probe others' ids).

A subject is ``(kind, id)``: ``("customer", 7)``, ``("line", 3)``, ``("loan", 1000001)``,
``("case", 12)``, ``("merchant", "M-1")``. Reads only; no table is written here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select

from lendcore.errors import Forbidden
from lendcore.principal import BORROWER, CLIENT, Principal
from lendcore.store.core_tables import credit_lines
from lendcore.store.origination_tables import decisions
from lendcore.store.servicing_tables import loans

Subject = tuple[str, Any]
# A collections hook: (conn, principal, case_id) -> the case is theirs. Set by collections at
# import (``collections.queries``); until then a collector is refused every case.
CASE_SCOPE: list[Callable[[Connection, Principal, int], bool]] = []
SEES_EVERY_CASE = frozenset({"administrator", "collections_supervisor", "compliance_auditor"})


def restricted(principal: Principal | None) -> bool:
    """Does this principal see less than the whole book?"""
    return principal is not None and (
        principal.kind in (BORROWER, CLIENT) or is_case_limited(principal))


def is_case_limited(principal: Principal) -> bool:
    """A collector or an agency collector without a role that sees every case."""
    roles = set(principal.roles)
    return bool(roles & {"collector", "agency_collector"}) and not roles & SEES_EVERY_CASE


def check(conn: Connection, principal: Principal | None, subject: Subject | None) -> None:
    """Refuse (403) a subject outside the principal's scope."""
    if subject is None or not restricted(principal):
        return
    assert principal is not None
    kind, ident = subject
    if principal.kind == BORROWER:
        if _customer_of(conn, kind, ident) != principal.customer_id:
            raise Forbidden(f"{kind} {ident} is not this borrower's", field=f"{kind}_id")
        return
    if principal.kind == CLIENT:
        if kind == "merchant" and ident == principal.merchant_id:
            return
        if kind == "loan" and principal.merchant_id is not None:
            merchant = conn.execute(select(loans.c.merchant_id).where(
                loans.c.id == ident)).scalar_one_or_none()
            if merchant == principal.merchant_id:
                return
        if kind in ("loan", "merchant") and "gateway" in principal.roles:
            return  # the gateway reports payments on any loan
        raise Forbidden(f"{kind} {ident} is outside this client's scope", field=f"{kind}_id")
    if kind == "case" and not any(hook(conn, principal, int(ident)) for hook in CASE_SCOPE):
        raise Forbidden(f"case {ident} is not assigned to {principal.actor}", field="case_id")


def _customer_of(conn: Connection, kind: str, ident: Any) -> int | None:
    if kind == "customer":
        return int(ident)
    if kind == "line":
        found = conn.execute(select(credit_lines.c.customer_id).where(
            credit_lines.c.id == ident)).scalar_one_or_none()
    elif kind == "loan":
        found = conn.execute(select(loans.c.customer_id).where(
            loans.c.id == ident)).scalar_one_or_none()
    elif kind == "decision":
        found = conn.execute(select(decisions.c.customer_id).where(
            decisions.c.id == ident)).scalar_one_or_none()
    else:
        return None  # a kind a borrower never reaches
    return None if found is None else int(found)
