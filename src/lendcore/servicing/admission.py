"""What a new loan must pass before anything is reserved: purpose, payee, size, standing.

- **Purpose** (a draw): a code of the closed list of consumption purposes the product takes
  (``products.model.CONSUMPTION_PURPOSES``). Investment, securities, property, repaying other
  loans and every other prohibited use are not on the list, so ``"股票"``, ``"购房"``, ``"理财"``,
  ``"stocks"`` and an empty purpose are refused alike: a 422 naming ``purpose`` and listing the
  accepted codes.
- **Payee** (a draw): a registered, active merchant (受托支付: the lender pays the merchant on
  the borrower's behalf; ``merchants.service.require_active``), never free text. The borrower's
  own verified account (``own_account``) will be a payee once bank cards are bound (a later
  release); until then no account is verified, so it is refused (``no_verified_account``).
- **Size**: at least the product's ``min_draw_fen`` (100.00 CNY by default), its own setting:
  the 500-50,000 range of the cash line is the range of a line's limit, not of a draw.
- **Standing**: a customer past grace on any loan (days past due above that loan's grace days:
  3 by default, so 4 DPD and more) gets no new loan, draw or checkout, until it is brought
  current. 3 DPD is still inside grace.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, select

from lendcore.errors import InvalidInput, RuleViolation
from lendcore.merchants import service as merchants
from lendcore.money import format_yuan
from lendcore.products.model import PURPOSES_BY_CODE, Product
from lendcore.store.servicing_tables import loans

MERCHANT, OWN_ACCOUNT = "merchant", "own_account"
PAYEE_KINDS = (MERCHANT, OWN_ACCOUNT)


def accepted_purposes(product: Product) -> str:
    """``travel (旅游, travel), ...``: the codes a draw on ``product`` may name, labelled."""
    return ", ".join(f"{code} ({PURPOSES_BY_CODE[code].label_zh}, "
                     f"{PURPOSES_BY_CODE[code].label_en})" for code in product.purposes)


def check_purpose(product: Product, purpose: str) -> str:
    """The purpose code, or a 422 naming ``purpose`` with the accepted codes."""
    if not product.accepts_purpose(purpose):
        raise RuleViolation(
            f"{purpose[:32]!r} is not a consumption purpose {product.code} lends for (loan "
            "funds may not go to investment, securities, property, repaying other loans or "
            f"any other prohibited use); accepted: {accepted_purposes(product)}",
            field="purpose", code="purpose_not_accepted")
    return purpose


def check_payee(conn: Connection, payee_kind: str, payee: str) -> str:
    """The payee as stored (``merchant:<id>``): an active registered merchant, or a 422."""
    if payee_kind == OWN_ACCOUNT:
        raise RuleViolation(
            "no verified account of the borrower is bound (bank cards come with a later "
            "release), so a draw cannot pay the borrower's own account yet; pay a registered "
            f"merchant with payee_kind {MERCHANT!r} (受托支付)",
            field="payee_kind", code="no_verified_account")
    if payee_kind != MERCHANT:
        raise InvalidInput(f"accepted: {', '.join(PAYEE_KINDS)} (got {payee_kind[:32]!r})",
                           field="payee_kind")
    merchant = merchants.require_active(conn, payee, field="payee")
    return f"{MERCHANT}:{merchant.merchant_id}"


def check_min_draw(product: Product, amount_fen: int) -> None:
    if amount_fen < product.min_draw_fen:
        raise InvalidInput(f"the smallest loan on {product.code} is "
                           f"{format_yuan(product.min_draw_fen)} CNY (got "
                           f"{format_yuan(amount_fen)})", field="amount")


def check_in_good_standing(conn: Connection, customer_id: int, field: str) -> None:
    """Refuse (422 ``past_grace``) a customer with a loan past its grace days."""
    worst = conn.execute(
        select(loans.c.id, loans.c.dpd, loans.c.grace_days)
        .where(and_(loans.c.customer_id == customer_id, loans.c.status != "closed",
                    loans.c.dpd > loans.c.grace_days))
        .order_by(loans.c.dpd.desc(), loans.c.id).limit(1)).first()
    if worst is not None:
        raise RuleViolation(
            f"customer {customer_id} is past grace on loan {worst.id} ({worst.dpd} days past "
            f"due, over its {worst.grace_days} days of grace); no new loan until it is brought "
            "current", field=field, code="past_grace")
