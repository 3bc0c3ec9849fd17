"""The night's steps after the core: explicit callables, run per partition, failing visibly.

When the core has closed day x (every partition done, provisions posted, business date x+1), the
nightly run calls each step over the same partitions as the core, each call in its own unit of
work committed by the run::

    step.run(uow, date(2026, 3, 2), 0, 1_999_999)   # day opened, loan ids lo..hi inclusive

The partitions of one step run side by side on the night's workers (:func:`run_step`), one step
after the other. The composition (:func:`lendcore.wiring.night_steps`) lists the steps as imported
functions: a step that does not import stops the start-up, it is never skipped. A step that raises
stops the night with :class:`NightStepFailed` naming it; the day stays ``closed`` (not ``done``)
and the next run re-runs that day's steps before it closes another day, so a step must be
idempotent (running it twice for one day and range leaves what running it once left).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from lendcore.eod.partition import engine_for
from lendcore.eod.report import DayReport
from lendcore.store.uow import UnitOfWork

StepFunction = Callable[[UnitOfWork, date, int, int], None]


@dataclass(frozen=True, slots=True)
class NightStep:
    """One step of the night: ``run(uow, day_opened, lo_id, hi_id)`` for each partition."""

    name: str
    run: StepFunction


def check_steps(steps: Sequence[NightStep]) -> tuple[NightStep, ...]:
    """The steps as given, refused before the night starts if one is not a :class:`NightStep`
    with a callable ``run`` (a dotted string, a typo, ``None``)."""
    for step in steps:
        if not isinstance(step, NightStep) or not callable(step.run):
            raise TypeError(f"a night step must be a NightStep(name, run) with run callable, "
                            f"not {step!r}")
    return tuple(steps)


def run_step(url: str, step: NightStep, day_opened: date, lo_id: int, hi_id: int) -> None:
    """One step over one partition in its own unit of work, committed: what the run hands to a
    worker (this process, one of this machine's, or a Dask worker), so ``step.run`` must be a
    module-level function when the night runs on more than one process."""
    with UnitOfWork(engine_for(url)) as uow:
        step.run(uow, day_opened, lo_id, hi_id)
        uow.commit()


class NightStepFailed(Exception):
    """A step raised: the day it followed is closed, its steps are still to run."""

    def __init__(self, step: str, closed_day: date, cause: BaseException) -> None:
        detail = " ".join(f"{type(cause).__name__}: {cause}".split())
        super().__init__(f"night step {step!r} failed after closing {closed_day}: {detail}; "
                         "the day is closed, its steps are not: `lendcore eod run` again "
                         "resumes them")
        self.step = step
        self.closed_day = closed_day
        self.cause = cause
        self.reports: list[DayReport] = []  # the days this run closed, the failing one last
