"""A reason: a stable code and a human detail, returned by decision ladders and the guard.

Decision and validation ladders return *every* failed rule as a reason, in a documented
precedence, not just the first (the credit decision, the collections compliance guard).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "detail": self.detail}
