"""Time without service when the primary dies (RTO) and acknowledged repayments lost (RPO).

Each run builds a PostgreSQL primary and a synchronous standby from the installed server binaries
(``tests/store/pgcluster.py``), a book of 8 loans, and one ``lendcore serve`` process pointed at
both hosts (``target_session_attrs=read-write``). Four clients post repayments over HTTP, each
with its own Idempotency-Key, retrying a lost answer or a 5xx with the same key. After 2 s the
primary is SIGKILLed (postmaster and backends) and at once the standby is promoted
(``pg_promote()``); the clients go on for 2 s. Then:

* **RTO**: from the kill to the first 2xx of a repayment sent after it;
* **baseline**: the promotion alone (``pg_promote(wait => true)`` until the standby takes
  writes), the floor under any RTO; the ratio RTO/baseline is what lendcore adds (its pool
  noticing the lost server, reconnecting to the new primary, the client's retry);
* **RPO**: repayments answered 2xx that are not in the database afterwards (must be 0), and
  keys applied twice (must be 0); the ledger audit must pass.

Not measured: noticing that the primary is dead. Here the promotion follows the kill at once;
in production a failover manager's detection time (seconds, its setting) comes first.

    .venv/bin/python benchmarks/bench_failover.py [--runs 3] [--before 2] [--after 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.store
os.environ.setdefault("LENDCORE_MODE", "development")  # the development key ring, as the tests

from tests.store.pgcluster import Outcome, bindir, run_failover


def one_run(before: float, after: float) -> Outcome:
    outcome = run_failover(before_seconds=before, after_seconds=after)
    broken = []
    if outcome.audit_problems:
        broken.append(f"ledger audit: {outcome.audit_problems[:3]}")
    if outcome.applied_twice or outcome.replays_changed:
        broken.append(f"applied twice: {outcome.applied_twice + outcome.replays_changed}")
    if outcome.events_per_loan != outcome.keys_per_loan:
        broken.append("repayment events differ from acknowledged keys")
    if broken:
        raise SystemExit("failover run broke the book: " + "; ".join(broken))
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=float, default=2.0, help="seconds posting before the kill")
    parser.add_argument("--after", type=float, default=2.0, help="seconds posting after it")
    args = parser.parse_args()
    if bindir() is None:
        raise SystemExit("no PostgreSQL server binaries (initdb, postgres, pg_basebackup); "
                         "set LENDCORE_PG_BINDIR")
    print(f"{'run':>3} {'acked':>6} {'5xx/lost':>8} {'RTO s':>7} {'promote s':>9} {'ratio':>6} "
          f"{'RPO':>4}")
    rtos, promotions, lost = [], [], []
    for run in range(1, args.runs + 1):
        o = one_run(args.before, args.after)
        acked = sum(1 for p in o.posted if p.acked_at is not None)
        retried = sum(1 for p in o.posted for s in p.statuses if not s.startswith("2"))
        rtos.append(o.rto_seconds)
        promotions.append(o.promote_seconds)
        lost.append(len(o.lost_acknowledged))
        print(f"{run:>3} {acked:>6} {retried:>8} {o.rto_seconds:>7.3f} "
              f"{o.promote_seconds:>9.3f} {o.rto_seconds / o.promote_seconds:>6.2f} "
              f"{lost[-1]:>4}")
    rto, promotion = statistics.median(rtos), statistics.median(promotions)
    print(f"median RTO {rto:.3f} s; baseline (promotion alone) {promotion:.3f} s; "
          f"ratio {rto / promotion:.2f}; RPO {max(lost)} acknowledged repayments lost "
          f"(worst of {args.runs} runs)")


if __name__ == "__main__":
    main()
