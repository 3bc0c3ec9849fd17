"""What the ledger receives from the nightly run: aggregated accruals, per-loan charge-offs,
and the change in the loan-loss allowance.

* Interest accrual, penalty accrual and fee billing are summed **per partition, product and
  reason**: one entry each (``eod:<day>:<lo>:interest_accrual:<product>``), committed in the
  partition's own transaction with its loan rows, which is what makes a partition atomic and a
  re-run a no-op. With 8 partitions and 2 products a day posts at most 48 such entries, however
  many loans accrued.
* A charge-off posts per loan (the audit checks principal per loan): the loan's whole
  receivables after the day's accruals.
* Provisions (domain.md s4): general 1% on performing (normal) loans, specific 2/25/50/100% on
  关注/次级/可疑/损失, on principal outstanding of active loans (a charged-off loan is already
  written off). The allowance of a product and class is ``round_half_up(exposure x bp / 10,000)``;
  the ledger receives each day's change per product (``eod:<day>:provision:<product>``).

Worked example: 1,000,000.00 yuan of normal loans and 10,000.00 of 次级 in one product: allowance
10,000.00 + 2,500.00 = 12,500.00; if yesterday's was 12,000.00 the day posts 500.00
(Dr provision expense / Cr allowance).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from lendcore.delinquency.ladder import CLASSES
from lendcore.ledger import posting
from lendcore.ledger.journal import Entry

# Basis points per class, from delinquency/ladder.py's rates (normal: the general 1%).
PROVISION_BP = {"normal": 100, "special_mention": 200, "substandard": 2500, "doubtful": 5000,
                "loss": 10000}
ACCRUAL_RULES = (
    ("interest_accrual", posting.interest_accrual),
    ("penalty_accrual", posting.penalty_accrual),
)


def partition_key(day: date, lo_id: int) -> str:
    return f"eod:{day.isoformat()}:{lo_id}"


def accrual_entries(day: date, lo_id: int,
                    sums: Mapping[str, Mapping[str, int]]) -> list[Entry]:
    """``sums[reason][product]`` -> one entry per non-zero (reason, product)."""
    key = partition_key(day, lo_id)
    entries: list[Entry] = []
    for reason, rule in ACCRUAL_RULES:
        for product, amount in sorted(sums.get(reason, {}).items()):
            if amount:
                entries.append(rule(product, day, amount,
                                    source_key=f"{key}:{reason}:{product}"))
    for product, amount in sorted(sums.get("fee_billing", {}).items()):
        if amount:
            entries.append(posting.fee_billing(day, amount, product_code=product,
                                               source_key=f"{key}:fee_billing:{product}"))
    return entries


def charge_off_entry(day: date, loan_id: int, product: str, *, principal: int, interest: int,
                     penalty: int, fee: int) -> Entry:
    return posting.charge_off(loan_id, day, principal=principal, interest=interest,
                              penalty=penalty, fee=fee, product_code=product,
                              source_key=f"eod:{day.isoformat()}:charge_off:{loan_id}")


def allowance_fen(exposure_fen: int, risk_class: str) -> int:
    """Half-up to the fen: exposure x bp / 10,000."""
    bp = PROVISION_BP[risk_class]
    return (2 * exposure_fen * bp + 10_000) // 20_000


def allowances(exposure: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """``exposure[product][class]`` -> allowance per product and class."""
    return {product: {cls: allowance_fen(by_class.get(cls, 0), cls) for cls in CLASSES}
            for product, by_class in exposure.items()}


def provision_entries(day: date, today: Mapping[str, int],
                      before: Mapping[str, int]) -> list[Entry]:
    """The change of each product's allowance since the last closed day."""
    entries = []
    for product in sorted(set(today) | set(before)):
        delta = today.get(product, 0) - before.get(product, 0)
        if delta:
            entries.append(posting.provision(
                day, delta, product_code=product,
                source_key=f"eod:{day.isoformat()}:provision:{product}"))
    return entries
