"""Schedules per second and APR solves per second on one core, beside numpy-financial's irr.

Claims (issue 2): >= 20,000 twelve-installment schedules a second, and an APR solve at least as
fast as ``numpy_financial.irr`` on the same cash flows. Each figure is the median of several
repeats, measured in the same run as its baseline; the table prints the ratio. Runs in ~15 s.

    $ .venv/bin/python benchmarks/bench_schedules.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import numpy_financial as npf

from lendcore.schedules import Method, ScheduleTerms, build_schedule
from lendcore.schedules.apr import apr_of_cash_flows

REPEATS = 7
RATE = Decimal("0.1825")


def _rate_per_second(work: Callable[[], object], count: int) -> float:
    """Median calls per second over REPEATS runs of ``count`` calls."""
    rates = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        for _ in range(count):
            work()
        rates.append(count / (time.perf_counter() - started))
    return statistics.median(rates)


def _terms(installments: int, method: Method) -> ScheduleTerms:
    fee = Decimal("0.006") if method is Method.FLAT_FEE else Decimal(0)
    return ScheduleTerms(1_000_000, installments, method, RATE, date(2025, 1, 31),
                         fee_rate_per_installment=fee)


def main() -> None:
    rows: list[tuple[str, float, str, float | None]] = []
    for installments in (12, 36):
        terms = _terms(installments, Method.EQUAL_INSTALLMENT)
        per_second = _rate_per_second(lambda t=terms: build_schedule(t), 2_000)
        rows.append((f"{installments}-installment schedules", per_second, "goal 20,000/s"
                     if installments == 12 else "", None))
    for installments in (12, 36):
        flows = build_schedule(_terms(installments, Method.FLAT_FEE)).cash_flows_fen()
        floats = [float(c) for c in flows]
        ours = _rate_per_second(lambda f=flows: apr_of_cash_flows(f), 3_000)
        theirs = _rate_per_second(lambda f=floats: npf.irr(f), 3_000)
        rows.append((f"APR solves, {installments} installments", ours, "numpy-financial irr",
                     theirs))
    _print(rows)


def _print(rows: list[tuple[str, float, str, float | None]]) -> None:
    print(f"{'work (one core, median of ' + str(REPEATS) + ')':<34}{'per second':>12}"
          f"{'baseline':>26}{'per second':>12}{'ratio':>8}")
    for name, per_second, baseline, baseline_rate in rows:
        ratio = f"{per_second / baseline_rate:.2f}x" if baseline_rate else ""
        if baseline_rate is None and baseline:
            ratio = f"{per_second / 20_000:.2f}x"
        base = f"{baseline_rate:,.0f}" if baseline_rate else ""
        print(f"{name:<34}{per_second:>12,.0f}{baseline:>26}{base:>12}{ratio:>8}")


if __name__ == "__main__":
    main()
