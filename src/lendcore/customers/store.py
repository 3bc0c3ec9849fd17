"""The only writer of ``customers``, ``credit_lines`` and ``limit_changes``.

Everyone else asks: origination opens a customer and a line on an approved decision, servicing
takes a loan number and reserves or releases a line's limit, the limit review (a night step,
``origination.limits_job``) freezes the lines of borrowers past grace, unfreezes them when the
borrower is current, raises and cuts, each through :func:`apply_changes`. A line is opened once
(a second open is a 409); its limit changes only through :func:`set_limit` (or
:func:`apply_changes`), which writes a ``limit_changes`` row with the reasons, the decision or
review it rests on, and who made it.

A customer's identity is stored masked for display and sealed for the audited read path
(:func:`identity_columns`: ``pii.sealing`` with the active key, each value bound to its column);
a customer is found by ID number or mobile through the blind index (:func:`customer_by_id_number`,
:func:`customer_by_mobile`), never by the plain value. :data:`SEALED` gives ``lendcore keys`` the
sealed columns and this owner's compare-and-set writer for a rotation.

Every function takes the caller's connection (or write batch) and never commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from lendcore import pii
from lendcore.errors import Conflict, NotFound, RuleViolation
from lendcore.money import format_yuan
from lendcore.pii.rotation import Resealed, SealedTable, reseal_rows
from lendcore.reasons import Reason
from lendcore.store.batch import WriteBatch
from lendcore.store.core_tables import credit_lines, customers
from lendcore.store.origination_tables import limit_changes
from lendcore.store.prepared import Prepared

LIMIT_ACTIONS = ("open", "raise", "cut", "set", "freeze", "unfreeze", "close")


# -- identity ----------------------------------------------------------------------------------
# The associated-data names of the sealed columns (``pii.unseal(value, NAME)``).
NAME, ID_NUMBER, MOBILE = ("customers.name_sealed", "customers.id_number_sealed",
                           "customers.mobile_sealed")
SEALED_COLUMNS = ("name_sealed", "id_number_sealed", "mobile_sealed")


def identity_columns(*, name: str | None, id_number: str | None, mobile: str | None,
                     timezone: str, masks: dict[str, str] | None = None,
                     ring: pii.KeyRing | None = None) -> dict[str, Any]:
    """A customer's identity as stored: the masks, the sealed values and the mobile's blind
    index. A value not known (``None``: a referral decided before sealing kept only its mask)
    is stored as its mask from ``masks`` and no sealed value."""
    ring = ring or pii.current()
    masks = masks or {}
    return {
        "name_masked": pii.mask_name(name) if name is not None else masks.get("name", ""),
        "id_number_masked": (pii.mask_id_number(id_number) if id_number is not None
                             else masks.get("id_number")),
        "mobile_masked": pii.mask_mobile(mobile) if mobile is not None else masks.get("mobile"),
        "name_sealed": None if name is None else pii.seal(name.strip(), NAME, ring),
        "id_number_sealed": (None if id_number is None
                             else pii.seal(id_number.strip().upper(), ID_NUMBER, ring)),
        "mobile_sealed": None if mobile is None else pii.seal(mobile.strip(), MOBILE, ring),
        "mobile_index": None if mobile is None else pii.blind_index(mobile, "mobile", ring),
        "timezone": timezone,
    }


def sealed_identity(conn: Connection, customer_id: int) -> dict[str, str | None]:
    """The customer's sealed values by associated-data name (for the audited read path, which
    opens them with ``pii.unseal(value, name)``)."""
    row = get_customer(conn, customer_id)
    return {NAME: row.name_sealed, ID_NUMBER: row.id_number_sealed, MOBILE: row.mobile_sealed}


def customer_by_id_number(conn: Connection, id_number: str) -> int | None:
    """The customer with this ID number, found by its blind index."""
    return customer_by_id_hash(conn, pii.blind_index(id_number, "id_number"))


_BY_MOBILE = (select(customers.c.id).where(customers.c.mobile_index == bindparam("h"))
              .order_by(customers.c.id))


def customer_by_mobile(conn: Connection, mobile: str) -> list[int]:
    """The customers with this mobile (a number may pass between people), by its blind
    index."""
    return [int(i) for i in conn.execute(_BY_MOBILE, {"h": pii.blind_index(mobile, "mobile")})
            .scalars()]


def _reseal_statement(column: str) -> Any:
    return (update(customers)
            .where(customers.c.id == bindparam("rid"), customers.c[column] == bindparam("old"))
            .values({column: bindparam("new")}))


_RESEAL = {c: _reseal_statement(c) for c in SEALED_COLUMNS}


def reseal(conn: Connection, changes: Sequence[Resealed]) -> int:
    """A rotation's batch (rows written): see ``pii.rotation.reseal_rows``."""
    return reseal_rows(conn, _RESEAL, changes)


SEALED = SealedTable(customers, SEALED_COLUMNS, reseal)


# -- customers -------------------------------------------------------------------------------
_INSERT_CUSTOMER = Prepared(customers.insert().returning(customers.c.id))
_REFRESH_IDENTITY = Prepared(update(customers).where(customers.c.id == bindparam("customer_id"))
                             .values(version=customers.c.version + 1))
_BY_ID_HASH = select(customers.c.id).where(customers.c.id_number_hash == bindparam("h")).limit(1)


def insert_customer(conn: Connection, *, created_on: date, timezone: str = "Asia/Shanghai",
                    name_masked: str = "", external_ref: str | None = None,
                    **identity: Any) -> int:
    """A new customer; ``identity`` holds the identity columns (:func:`identity_columns`) and
    the ID-number hash. A second customer with the same external reference is a 409."""
    if external_ref is not None and conn.execute(
            select(customers.c.id).where(customers.c.external_ref == external_ref)).first():
        raise Conflict(f"a customer with external_ref {external_ref!r} already exists",
                       field="external_ref", code="duplicate_external_ref")
    (customer_id,) = _INSERT_CUSTOMER.one(conn, dict(
        created_on=created_on, timezone=timezone, name_masked=name_masked,
        external_ref=external_ref, **identity))
    return int(customer_id)


def refresh_identity(conn: Connection, customer_id: int, identity: dict[str, Any]) -> None:
    """A returning applicant's identity (:func:`identity_columns`), as verified on the new
    application."""
    _REFRESH_IDENTITY.execute(conn, dict(customer_id=customer_id, **identity))


def customer_by_id_hash(conn: Connection, id_hash: str) -> int | None:
    found = conn.execute(_BY_ID_HASH, {"h": id_hash}).scalar()
    return None if found is None else int(found)


def get_customer(conn: Connection, customer_id: int) -> Any:
    row = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
    if row is None:
        raise NotFound(f"no customer {customer_id}", field="customer_id")
    return row


def take_loan_number(conn: Connection, customer_id: int) -> int:
    """The customer's next loan number (loan ids are customer_id × 1,000,000 + n)."""
    number = int(get_customer(conn, customer_id).loan_counter) + 1
    conn.execute(customers.update().where(customers.c.id == customer_id)
                 .values(loan_counter=number))
    return number


# -- credit lines ------------------------------------------------------------------------------
_LINE_ID = Prepared(select(credit_lines.c.id).where(
    credit_lines.c.customer_id == bindparam("owner"),
    credit_lines.c.product_code == bindparam("product")))
_INSERT_LINE = Prepared(credit_lines.insert().returning(credit_lines.c.id))
_REOPEN_LINE = Prepared(update(credit_lines).where(
    credit_lines.c.customer_id == bindparam("owner"),
    credit_lines.c.product_code == bindparam("product")).values(
        status="open", version=credit_lines.c.version + 1))


def find_line(conn: Connection, customer_id: int, product_code: str) -> Any:
    return conn.execute(select(credit_lines).where(
        (credit_lines.c.customer_id == customer_id)
        & (credit_lines.c.product_code == product_code))).first()


def get_line(conn: Connection, line_id: int, *, for_update: bool = False) -> Any:
    query = select(credit_lines).where(credit_lines.c.id == line_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    line = conn.execute(query).first()
    if line is None:
        raise NotFound(f"no credit line {line_id}", field="line_id")
    return line


def insert_line(conn: Connection, *, customer_id: int, product_code: str, limit_fen: int,
                daily_rate_ppb: int | None, opened_on: date) -> int:
    """Open the customer's line of a product; one exists already: 409, nothing changes."""
    if _LINE_ID.first(conn, {"owner": customer_id, "product": product_code}) is not None:
        raise _line_exists(customer_id, product_code)
    try:
        with conn.begin_nested():
            result = conn.execute(credit_lines.insert().values(
                customer_id=customer_id, product_code=product_code, limit_fen=limit_fen,
                daily_rate_ppb=daily_rate_ppb, opened_on=opened_on))
    except IntegrityError as exc:  # a concurrent open won the unique constraint
        raise _line_exists(customer_id, product_code) from exc
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the database returned no primary key")
    return int(key[0])


def _line_exists(customer_id: int, product_code: str) -> Conflict:
    return Conflict(f"customer {customer_id} already has a {product_code} line; change its "
                    "limit with a limit change, not a second open", field="customer_id",
                    code="line_exists")


def open_or_reopen_line(conn: Connection, *, customer_id: int, new_customer: bool,
                        product_code: str, limit_fen: int, daily_rate_ppb: int | None,
                        opened_on: date) -> int | None:
    """An approved decision's line: opened when the customer has none (its new id); an
    existing line is reopened as it is, its limit untouched (None) -- a limit changes only
    through :func:`set_limit`. The decision path's statements are prepared
    (``store.prepared``)."""
    params = {"owner": customer_id, "product": product_code}
    if new_customer or _LINE_ID.first(conn, params) is None:
        (line_id,) = _INSERT_LINE.one(conn, dict(
            customer_id=customer_id, product_code=product_code, limit_fen=limit_fen,
            daily_rate_ppb=daily_rate_ppb, opened_on=opened_on))
        return int(line_id)
    _REOPEN_LINE.execute(conn, params)
    return None


def reserve(conn: Connection, line: Any, amount_fen: int) -> None:
    """Take ``amount_fen`` of the line's available limit, or refuse (frozen, over the limit)."""
    if line.frozen:
        reason = line.frozen_reason or "no reason given"
        raise RuleViolation(f"credit line {line.id} is frozen ({reason})",
                            field="line_id", code="line_frozen")
    if line.status != "open":
        raise RuleViolation(f"credit line {line.id} is {line.status}", field="line_id",
                            code="line_closed")
    available = line.limit_fen - line.used_fen
    if amount_fen > available:
        raise RuleViolation(f"amount exceeds the available {format_yuan(available)} CNY",
                            field="amount", code="exceeds_available")
    conn.execute(credit_lines.update().where(credit_lines.c.id == line.id)
                 .values(used_fen=credit_lines.c.used_fen + amount_fen))


_RELEASE = (credit_lines.update().where(credit_lines.c.id == bindparam("line_id"))
            .values(used_fen=credit_lines.c.used_fen - bindparam("freed")))


def release(batch: WriteBatch, line_id: int, freed_fen: int) -> None:
    """Repaid or refunded principal frees the revolving limit again (a closing write)."""
    if freed_fen:
        batch.add(_RELEASE, {"line_id": line_id, "freed": freed_fen})


@dataclass(frozen=True, slots=True)
class LimitChange:
    """One change of a line's limit or state, with what it rests on."""

    line_id: int
    action: str  # one of LIMIT_ACTIONS
    new_limit_fen: int
    reasons: tuple[Reason, ...]
    on: date
    actor: str
    frozen: bool | None = None  # None: unchanged
    frozen_reason: str | None = None
    decision_id: int | None = None
    review_id: int | None = None
    daily_rate_ppb: int | None = None  # a re-priced line's new daily rate (None: unchanged)


def set_limit(conn: Connection, change: LimitChange) -> dict[str, Any]:
    """Apply one change to a line and log it in ``limit_changes``; the logged row."""
    return apply_changes(conn, [change])[0]


LINE_STATE_COLUMNS = ("limit_fen", "frozen", "frozen_reason", "status", "daily_rate_ppb",
                      "version")  # what :func:`apply_changes` needs of a line it changes


def apply_changes(conn: Connection, changes: Sequence[LimitChange], *,
                  current: Mapping[int, Mapping[Any, Any]] | None = None,
                  ) -> list[dict[str, Any]]:
    """Apply many changes (the limit job's set) and log each; the logged rows, in order.

    Set-based: one read of the lines concerned, one batched update, one batched insert. A
    caller that has just read the lines it changes in this transaction (the limit review, which
    reads only the few lines that can change) passes them as ``current`` (by line id, the
    columns of :data:`LINE_STATE_COLUMNS`) and the read is skipped. Either way each update is a
    compare-and-set on the line's ``version``: a line changed by someone else since it was read
    is a :class:`Conflict` (the caller's transaction rolls back), never a lost update."""
    if not changes:
        return []
    bad = [c.action for c in changes if c.action not in LIMIT_ACTIONS]
    if bad:
        raise ValueError(f"unknown limit action {bad[0]!r}")
    ids = sorted({c.line_id for c in changes})
    found = dict(current) if current is not None else _read_lines(conn, ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"no credit line {missing[0]}", field="line_id")
    updates, rows = [], []
    state = {i: {k: found[i][k] for k in LINE_STATE_COLUMNS} for i in ids}
    for change in changes:
        line = state[change.line_id]
        frozen = line["frozen"] if change.frozen is None else change.frozen
        reason = (line["frozen_reason"] if change.frozen is None
                  else change.frozen_reason if change.frozen else None)
        rate = line["daily_rate_ppb"] if change.daily_rate_ppb is None else change.daily_rate_ppb
        status = "closed" if change.action == "close" else line["status"]
        rows.append({
            "credit_line_id": change.line_id, "business_date": change.on,
            "action": change.action, "old_limit_fen": int(line["limit_fen"]),
            "new_limit_fen": change.new_limit_fen,
            "reasons_json": json.dumps([r.as_dict() for r in change.reasons],
                                       ensure_ascii=False),
            "decision_id": change.decision_id, "review_id": change.review_id,
            "actor": change.actor[:64]})
        updates.append({"lid": change.line_id, "ver": int(line["version"]),
                        "lim": change.new_limit_fen, "frz": bool(frozen), "why": reason,
                        "rate": rate, "st": status})
        line.update(limit_fen=change.new_limit_fen, frozen=bool(frozen), frozen_reason=reason,
                    daily_rate_ppb=rate, status=status, version=int(line["version"]) + 1)
    written = conn.execute(_UPDATE_LINE, updates).rowcount
    if written != len(updates):
        raise Conflict(f"{len(updates) - written} of {len(updates)} credit lines changed while "
                       "their limits were reviewed; nothing was written", field="line_id",
                       code="line_changed")
    conn.execute(limit_changes.insert(), rows)
    return rows


def _read_lines(conn: Connection, ids: Sequence[int]) -> dict[int, Any]:
    """The lines ``ids`` (sorted) by id, read by their id range (locked on PostgreSQL)."""
    query = select(credit_lines.c.id, *(credit_lines.c[k] for k in LINE_STATE_COLUMNS)).where(
        credit_lines.c.id.between(ids[0], ids[-1]))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    wanted = set(ids)  # built once: the range may hold many lines not changed
    return {int(r.id): r._mapping for r in conn.execute(query) if int(r.id) in wanted}


_UPDATE_LINE = (update(credit_lines).where(credit_lines.c.id == bindparam("lid"),
                                           credit_lines.c.version == bindparam("ver")).values(
    limit_fen=bindparam("lim"), frozen=bindparam("frz"), frozen_reason=bindparam("why"),
    daily_rate_ppb=bindparam("rate"), status=bindparam("st"),
    version=credit_lines.c.version + 1))


def line_values(row: Any) -> dict[str, Any]:
    """A line row as plain values (fen, ppb), for views."""
    return {"line_id": int(row.id), "customer_id": int(row.customer_id),
            "product": row.product_code, "limit_fen": int(row.limit_fen),
            "used_fen": int(row.used_fen), "frozen": bool(row.frozen),
            "frozen_reason": row.frozen_reason, "status": row.status,
            "daily_rate_ppb": None if row.daily_rate_ppb is None else int(row.daily_rate_ppb),
            "opened_on": row.opened_on}


def customer_lines(conn: Connection, customer_id: int) -> list[Any]:
    """The customer's lines (rows), in the order they were opened."""
    return list(conn.execute(select(credit_lines)
                             .where(credit_lines.c.customer_id == customer_id)
                             .order_by(credit_lines.c.id)).all())
