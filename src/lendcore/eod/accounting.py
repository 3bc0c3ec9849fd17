"""What the ledger receives from the nightly run: aggregated accruals, per-loan charge-offs,
and the change in the loan-loss allowance.

* Interest accrual, penalty accrual and fee billing are summed **per partition, product and
  reason**: one entry each (``eod:<day>:<lo>:interest_accrual:<product>``), committed in the
  partition's own transaction with its loan rows, which is what makes a partition atomic and a
  re-run a no-op. With 8 partitions and 2 products a day posts at most 48 such entries, however
  many loans accrued.
* A charge-off posts per loan (the audit checks principal per loan): the loan's whole
  receivables after the day's accruals.
* Provisions (domain.md s4: "general 1% of loans; specific 关注 2%, 次级 25%, 可疑 50%, 损失
  100%"). The base is "loans": the principal outstanding of every loan still on the book, i.e.
  every active loan whatever its class (正常 to 损失); a charged-off loan is written off (its
  principal left the book with the charge-off entry) and a closed one owes nothing. The general
  provision (1%) covers the whole base, as in the PBoC guideline the rule comes from (一般准备:
  1% of the loan balance); the specific provision of the loan's class comes **on top** (专项准备):
  a 正常 loan carries 1%, 关注 1% + 2% = 3%, 次级 26%, 可疑 51%, 损失 101% (the general part is
  for the book's unidentified losses, not the loan's own). The allowance of a product and class
  is ``ROUND_HALF_UP(exposure x (general + specific) bp / 10,000)`` to the fen, one rounding per
  product and class (the general part is therefore rounded with the class, not once on the whole
  book); ``eod_provisions`` stores each (exposure, combined rate, allowance). The ledger receives
  each day's change of the product's total (``eod:<day>:provision:<product>``).

Worked example: one product with 1,000,000.00 yuan of 正常 loans and 10,000.00 of 次级: allowance
10,000.00 + 2,600.00 = 12,600.00; if yesterday's was 12,000.00 the day posts 600.00 (Dr provision
expense / Cr allowance); a release posts the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from lendcore.delinquency.ladder import CLASSES, GENERAL_PROVISION_RATE, SPECIFIC_PROVISION_RATE
from lendcore.ledger import posting
from lendcore.ledger.journal import Entry
from lendcore.money import Rounding, to_fen

BP = 10_000  # basis points in one
GENERAL_BP = int(GENERAL_PROVISION_RATE * BP)  # 100: on every class
SPECIFIC_BP = {cls: int(SPECIFIC_PROVISION_RATE[cls] * BP) for cls in CLASSES}
# The rate each class carries: general + specific (normal 100, special_mention 300,
# substandard 2,600, doubtful 5,100, loss 10,100).
PROVISION_BP = {cls: GENERAL_BP + SPECIFIC_BP[cls] for cls in CLASSES}
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
    """The allowance of ``exposure_fen`` of principal in ``risk_class``: exposure x (general +
    specific) bp / 10,000, rounded to the fen ``ROUND_HALF_UP`` (exact in ``Decimal``: an
    integer over 10,000)."""
    amount = Decimal(exposure_fen * PROVISION_BP[risk_class]).scaleb(-4)  # / BP, exact
    return to_fen(amount, Rounding.HALF_UP)


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
