"""The catalogue as plain rows for the CLI, API and console (strings only, JSON-ready).

Each product lists its terms with the contract annual rate, the fee per installment and the
disclosed annual rate (nominal IRR-based APR, 单利), e.g. checkout-installment, 12 installments:
contract rate 0.13, fee 0.006, APR 0.130342 by flat-fee.
"""

from __future__ import annotations

from typing import Any

from lendcore.money import format_yuan
from lendcore.products.catalogue import load_catalogue
from lendcore.products.model import Product
from lendcore.products.pricing import disclose_term
from lendcore.schedules.apr import format_rate


def catalogue_rows() -> list[dict[str, Any]]:
    return [product_row(p) for _, p in sorted(load_catalogue().items())]


def product_row(product: Product) -> dict[str, Any]:
    terms = []
    for installments in product.installment_counts:
        term = disclose_term(product, installments)
        terms.append({
            "installments": installments,
            "contract_rate_annual": f"{term.contract_rate.annual:f}" if term.contract_rate
            else None,
            "fee_rate_per_installment": f"{term.fee_rate_per_installment:f}",
            "apr_nominal": format_rate(term.apr_nominal),
            "method": term.method.value,
        })
    return {
        "code": product.code,
        "name": product.name,
        "kind": product.kind.value,
        "methods": [m.value for m in product.methods],
        "principal_min": format_yuan(product.principal_min_fen),
        "principal_max": format_yuan(product.principal_max_fen),
        "day_count": product.day_count.value,
        "terms": terms,
    }
