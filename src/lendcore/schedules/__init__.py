"""Repayment schedules and the annual-rate (APR) solver: pure functions over exact money."""

from lendcore.schedules.model import Installment, Method, InterestMode, Schedule, ScheduleTerms
from lendcore.schedules.methods import build_schedule

__all__ = [
    "Installment",
    "InterestMode",
    "Method",
    "Schedule",
    "ScheduleTerms",
    "build_schedule",
]
