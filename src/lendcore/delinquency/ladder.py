"""Buckets and the five-category classification (五级分类) by days past due.

Buckets (domain.md section 4): M0 current, M1 1-30, M2 31-60, M3 61-90, M4 91-120, M5 121-150,
M6 151-180, M7 over 180::

    >>> bucket_of(30), bucket_of(31), bucket_of(181)
    ('M1', 'M2', 'M7')

Classes, by the 2023 rule for banks (``five-category-2023``): any overdue -> at least 关注
(special_mention); over 90 DPD -> at least 次级 (substandard); over 270 -> 可疑 (doubtful); over
360 -> 损失 (loss). The card-style ladder a product may choose instead: 1-90 关注, 91-120 次级,
121-180 可疑, over 180 损失. A restructured loan stays at least 关注 until its floor date.

Provisioning: general 1% of loans; specific 关注 2%, 次级 25%, 可疑 50%, 损失 100%.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from lendcore.errors import InvalidInput

BUCKETS = ("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7")
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")
CLASS_LABELS_ZH = {
    "normal": "正常",
    "special_mention": "关注",
    "substandard": "次级",
    "doubtful": "可疑",
    "loss": "损失",
}
# Upper DPD bound (inclusive) of each class above normal, per ladder.
LADDERS: dict[str, tuple[tuple[int, str], ...]] = {
    "five-category-2023": ((90, "special_mention"), (270, "substandard"), (360, "doubtful")),
    "card-style": ((90, "special_mention"), (120, "substandard"), (180, "doubtful")),
}
GENERAL_PROVISION_RATE = Decimal("0.01")
SPECIFIC_PROVISION_RATE = {
    "normal": Decimal(0),
    "special_mention": Decimal("0.02"),
    "substandard": Decimal("0.25"),
    "doubtful": Decimal("0.50"),
    "loss": Decimal(1),
}


def bucket_of(dpd: int) -> str:
    if dpd <= 0:
        return "M0"
    return BUCKETS[min((dpd - 1) // 30 + 1, 7)]


def check_ladder(ladder: str) -> str:
    if ladder not in LADDERS:
        raise InvalidInput(f"unknown ladder {ladder!r}; accepted: {', '.join(LADDERS)}",
                           field="ladder")
    return ladder


def class_of(dpd: int, ladder: str, *, floor_until: date | None = None,
             on: date | None = None) -> str:
    """The five-category class for ``dpd`` on ``ladder``, floored at 关注 while restructured."""
    if dpd <= 0:
        cls = "normal"
    else:
        cls = "loss"
        for upper, name in LADDERS[ladder]:
            if dpd <= upper:
                cls = name
                break
    if cls == "normal" and floor_until is not None and on is not None and on <= floor_until:
        cls = "special_mention"
    return cls
