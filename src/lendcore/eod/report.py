"""The report of one closed business day: summed from the partitions' statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from lendcore.money import format_yuan


@dataclass(slots=True)
class DayReport:
    business_date: str  # the day closed
    loans: int = 0
    partitions: int = 0
    interest_fen: dict[str, int] = field(default_factory=dict)
    penalty_fen: dict[str, int] = field(default_factory=dict)
    fee_fen: dict[str, int] = field(default_factory=dict)
    provision_fen: dict[str, int] = field(default_factory=dict)
    charge_offs: int = 0
    charge_off_principal_fen: int = 0
    became_overdue: int = 0
    bucket_moves: dict[str, int] = field(default_factory=dict)
    exposure: dict[str, dict[str, int]] = field(default_factory=dict)
    entries: int = 0
    notifications: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DayReport:
        """A stored report; keys this version no longer has (``frozen_lines``, from when the
        core froze credit lines) are left out."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def lines(self) -> list[str]:
        """Plain-text summary for the terminal."""
        out = [
            f"closed {self.business_date}: {self.loans} loans in {self.partitions} partitions",
            f"  interest accrued {_by_product(self.interest_fen)}",
            f"  penalty accrued  {_by_product(self.penalty_fen)}",
            f"  fees billed      {_by_product(self.fee_fen)}",
            f"  provision change {_by_product(self.provision_fen)}",
            f"  newly overdue {self.became_overdue}; charge-offs {self.charge_offs} "
            f"({format_yuan(self.charge_off_principal_fen)} principal)",
            "  bucket moves " + (", ".join(f"{k} {v}" for k, v in sorted(
                self.bucket_moves.items())) or "none"),
            f"  ledger entries {self.entries}; notifications {self.notifications}",
            "  seconds " + ", ".join(f"{k} {v:.3f}" for k, v in self.seconds.items()),
        ]
        out += [f"  problem: {p}" for p in self.problems]
        return out


def _by_product(amounts: dict[str, int]) -> str:
    if not amounts:
        return "0.00"
    return ", ".join(f"{p} {format_yuan(v)}" for p, v in sorted(amounts.items()))


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for key, value in more.items():
        into[key] = into.get(key, 0) + int(value)


def merge_stats(day: date, stats: list[dict[str, Any]]) -> DayReport:
    report = DayReport(day.isoformat(), partitions=len(stats))
    for s in stats:
        report.loans += s.get("loans", 0)
        _add(report.interest_fen, s.get("interest", {}))
        _add(report.penalty_fen, s.get("penalty", {}))
        _add(report.fee_fen, s.get("fee", {}))
        _add(report.bucket_moves, s.get("bucket_moves", {}))
        for product, by_class in s.get("exposure", {}).items():
            _add(report.exposure.setdefault(product, {}), by_class)
        for key in ("charge_offs", "became_overdue", "entries", "notifications"):
            setattr(report, key, getattr(report, key) + s.get(key, 0))
        report.charge_off_principal_fen += s.get("charge_off_principal", 0)
        for phase, secs in s.get("seconds", {}).items():
            report.seconds[phase] = round(report.seconds.get(phase, 0.0) + secs, 3)
        report.problems += s.get("problems", [])
    return report
