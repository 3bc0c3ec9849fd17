"""The EOD kernel alone over N loans in memory, beside a plain in-place numpy version of the same
day's arithmetic measured in the same run (goal: the kernel at least half its throughput).

    .venv/bin/python benchmarks/bench_eod_kernel.py [--loans 10000000] [--repeat 5]

Both close the same synthetic day (a third pay-any-time, 1 in 15 loans with an installment
falling due or billed, 8% overdue); the baseline's results are checked equal to the kernel's.
Prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import fields

import numpy as np

from lendcore.eod.kernel import NO_DATE, Book, DayFacts, bucket_codes, close_day_columns

DAY = 20_500


def synthetic(n: int, seed: int = 1) -> tuple[Book, DayFacts]:
    rng = np.random.default_rng(seed)
    i64 = np.int64
    pat = (rng.random(n) < 0.33).astype(i64)
    rate = rng.integers(200, 501, n).astype(i64) * 10_000 * 365
    principal = rng.integers(500_00, 50_000_00, n).astype(i64)
    overdue = rng.random(n) < 0.08
    oldest = np.where(overdue, DAY - rng.integers(0, 200, n), NO_DATE).astype(i64)
    dpd = np.where(overdue, DAY - oldest, 0).astype(i64)
    accr_days = rng.integers(28, 32, n).astype(i64)
    accr_start = (DAY - rng.integers(0, 28, n)).astype(i64)
    total = principal * rate // (12 * 10**9)
    z = np.zeros(n, i64)
    book = Book(
        pay_any_time=pat, annual_rate_ppb=rate, penalty_rate_ppb=np.minimum(rate * 3 // 2,
                                                                            240_000_000),
        divisor=np.full(n, 365 * 10**9, i64), grace_days=np.full(n, 3, i64),
        charge_off_dpd=np.full(n, 180, i64), penalty_on_interest=z.copy(), ladder=z.copy(),
        class_floor_until=np.full(n, NO_DATE, i64), status=z.copy(),
        principal_outstanding_fen=principal, interest_receivable_fen=z.copy(),
        penalty_receivable_fen=z.copy(), fee_receivable_fen=z.copy(),
        overdue_principal_fen=np.where(overdue, principal // 4, 0).astype(i64),
        overdue_interest_fen=z.copy(), overdue_fee_fen=z.copy(),
        accrued_through=np.full(n, DAY - 1, i64), accr_start=np.where(pat == 1, NO_DATE,
                                                                       accr_start),
        accr_days=accr_days, accr_total_fen=total, accr_done_fen=total // 2,
        interest_carry=z.copy(), penalty_carry=z.copy(), penalty_grace_fen=z.copy(), dpd=dpd,
        oldest_unpaid_due=oldest, next_due_date=(DAY + rng.integers(0, 30, n)).astype(i64),
        charged_off_on=np.full(n, NO_DATE, i64), bucket=bucket_codes(dpd), risk_class=z.copy())
    facts = DayFacts.empty(n)
    due_x = book.next_due_date == DAY
    due_x1 = book.next_due_date == DAY + 1
    facts.due_x_principal_fen[due_x] = principal[due_x] // 10
    facts.due_x_unpaid[due_x] = 1
    facts.due_x1[due_x1] = 1
    facts.segment[due_x1] = 1
    facts.segment_start[due_x1] = DAY + 1
    facts.segment_days[due_x1] = 30
    facts.segment_interest_fen[due_x1] = total[due_x1]
    facts.next_due_after_x[due_x] = DAY + 30
    return book, facts


def baseline(b: dict[str, np.ndarray], f: DayFacts, x: int) -> tuple[np.ndarray, np.ndarray]:
    """The same day, written plainly: masks and in-place updates on a dict of columns."""
    active = b["status"] == 0
    live = b["status"] != 2
    pat = b["pay_any_time"] == 1
    elapsed = x - b["accr_start"] + 1
    sched = active & ~pat & (b["accr_start"] != NO_DATE) & (elapsed >= 1) & (
        elapsed <= b["accr_days"])
    days = np.maximum(b["accr_days"], 1)
    target = (2 * b["accr_total_fen"] * elapsed + days) // (2 * days)
    interest = np.where(sched, target - b["accr_done_fen"], 0)
    b["accr_done_fen"][sched] = target[sched]
    base = b["principal_outstanding_fen"] - b["overdue_principal_fen"] - f.due_x_principal_fen
    on = active & pat & (base > 0)
    carry = b["interest_carry"] + np.where(on, base, 0) * b["annual_rate_ppb"]
    fen = (2 * carry + b["divisor"]) // (2 * b["divisor"])
    interest[on] = fen[on]
    b["interest_carry"][on] = (carry - fen * b["divisor"])[on]
    b["interest_receivable_fen"] += interest
    seg = live & (f.due_x1 == 1) & ~pat & (f.segment == 1)
    b["accr_start"][seg] = f.segment_start[seg]
    b["accr_days"][seg] = f.segment_days[seg]
    b["accr_total_fen"][seg] = f.segment_interest_fen[seg]
    b["accr_done_fen"][seg] = 0
    rolls = live & (f.due_x_unpaid == 1)
    b["overdue_principal_fen"][rolls] += f.due_x_principal_fen[rolls]
    b["oldest_unpaid_due"][rolls & (b["oldest_unpaid_due"] == NO_DATE)] = x
    has = live & (b["oldest_unpaid_due"] != NO_DATE)
    b["dpd"][has] = x + 1 - b["oldest_unpaid_due"][has]
    pen_on = active & (b["overdue_principal_fen"] > 0)
    pcarry = b["penalty_carry"] + np.where(pen_on, b["overdue_principal_fen"], 0) * b[
        "penalty_rate_ppb"]
    pfen = np.where(pen_on, (2 * pcarry + b["divisor"]) // (2 * b["divisor"]), 0)
    b["penalty_carry"][pen_on] = (pcarry - pfen * b["divisor"])[pen_on]
    grace = b["dpd"] <= b["grace_days"]
    b["penalty_grace_fen"][pen_on & grace] += pfen[pen_on & grace]
    charged = np.where(pen_on & ~grace, pfen + b["penalty_grace_fen"], 0)
    b["penalty_grace_fen"][pen_on & ~grace] = 0
    b["penalty_receivable_fen"] += charged
    co = active & (b["dpd"] >= b["charge_off_dpd"])
    b["status"][co] = 1
    b["bucket"][:] = np.where(b["dpd"] <= 0, 0, np.minimum((b["dpd"] - 1) // 30 + 1, 7))
    return interest, charged


def median_seconds(fn: Callable[[object], object], repeat: int,
                   setup: Callable[[], object] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        prepared = setup()
        started = time.perf_counter()
        fn(prepared)
        times.append(time.perf_counter() - started)
        del prepared
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    book, facts = synthetic(args.loans)
    columns = {f.name: getattr(book, f.name) for f in fields(Book)}
    after, out = close_day_columns(book, facts, DAY)
    check = {k: v.copy() for k, v in columns.items()}
    interest, penalty = baseline(check, facts, DAY)
    assert np.array_equal(interest, out.interest_fen) and np.array_equal(penalty, out.penalty_fen)
    assert np.array_equal(check["dpd"], after.dpd)
    del after, out, check
    kernel = median_seconds(lambda _: close_day_columns(book, facts, DAY), args.repeat)
    plain = median_seconds(lambda cols: baseline(cols, facts, DAY),  # type: ignore[arg-type]
                           args.repeat, lambda: {k: v.copy() for k, v in columns.items()})
    n = args.loans
    print(f"loans {n:,}; medians of {args.repeat}")
    print(f"kernel (pure, new columns, + class)  {kernel:.3f} s  {n / kernel / 1e6:.1f}M loans/s")
    print(f"plain numpy in place (copy excl.)    {plain:.3f} s  {n / plain / 1e6:.1f}M loans/s")
    print(f"kernel throughput / baseline: {plain / kernel:.2f} (goal >= 0.5)")


if __name__ == "__main__":
    main()
