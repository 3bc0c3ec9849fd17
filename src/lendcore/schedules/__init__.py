"""Repayment schedules and the annual-rate (APR) solver: pure functions over exact money."""

from lendcore.schedules.methods import build_schedule
from lendcore.schedules.model import Installment, InterestMode, Method, Schedule, ScheduleTerms

__all__ = [
    "Installment",
    "InterestMode",
    "Method",
    "Schedule",
    "ScheduleTerms",
    "build_schedule",
]
