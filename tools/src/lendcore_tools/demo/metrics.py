"""What the demo watches each night, read from the loans table after the nightly run.

One bulk read per day gives the book by bucket (count and principal outstanding), the buckets
ever reached, the first day each loan was 30+ days past due (for vintage curves), the bucket of
every loan every 30 days (for roll rates), and each loan's view for tomorrow's behaviour.
Reading is all it does; it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select

from lendcore.delinquency.ladder import BUCKETS
from lendcore.store.servicing_tables import loans
from lendcore_tools.demo.behaviour import LoanView

ROLL_EVERY_DAYS = 30
PAID_OFF = "paid off"


@dataclass
class Tracker:
    book: list[dict[str, int]] = field(default_factory=list)  # per day: bucket -> principal
    counts: list[dict[str, int]] = field(default_factory=list)  # per day: bucket -> loans
    days: list[date] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)
    first30: dict[int, date] = field(default_factory=dict)
    starts: dict[int, tuple[date, int]] = field(default_factory=dict)  # loan -> start, principal
    snapshots: list[dict[int, str]] = field(default_factory=list)  # every 30 days
    views: dict[int, LoanView] = field(default_factory=dict)  # live loans, for tomorrow
    charged_off: set[int] = field(default_factory=set)


def observe(tracker: Tracker, conn: Connection, day_index: int, closed_day: date) -> None:
    """After the nightly run that closed ``closed_day``."""
    c = loans.c
    rows = conn.execute(select(c.id, c.status, c.dpd, c.bucket, c.next_due_date,
                               c.start_date, c.principal_fen, c.principal_outstanding_fen)
                        .order_by(c.id)).all()
    principal = dict.fromkeys(BUCKETS, 0)
    count = dict.fromkeys(BUCKETS, 0)
    views: dict[int, LoanView] = {}
    snapshot: dict[int, str] = {}
    for r in rows:
        loan_id = int(r.id)
        tracker.starts.setdefault(loan_id, (r.start_date, int(r.principal_fen)))
        if r.status == "closed":
            snapshot[loan_id] = PAID_OFF
            continue
        bucket = str(r.bucket)
        snapshot[loan_id] = bucket
        principal[bucket] += int(r.principal_outstanding_fen)
        count[bucket] += 1
        tracker.reached.add(bucket)
        if int(r.dpd) > 30:
            tracker.first30.setdefault(loan_id, closed_day)
        if r.status == "charged_off":
            tracker.charged_off.add(loan_id)
        views[loan_id] = LoanView(loan_id, str(r.status), int(r.dpd), r.next_due_date)
    tracker.views = views
    tracker.book.append(principal)
    tracker.counts.append(count)
    tracker.days.append(closed_day)
    if (day_index + 1) % ROLL_EVERY_DAYS == 0:
        tracker.snapshots.append(snapshot)
