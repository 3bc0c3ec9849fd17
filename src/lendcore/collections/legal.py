"""Legal steps (法律手段) a lender has taken on a case, and the words a message may then use.

Threatening a legal step that was not taken is forbidden (domain.md section 7: threats,
impersonating courts); stating one that was taken is a legitimate legal notice (seed 003:
对于恶意逃债的用户,有权通过法律途径追讨欠款). So the words naming a step (``STEP_PHRASES``) stay
forbidden content in every message, *except* in a message to the borrower that cites the
reference of that step as recorded on the borrower's case (``collection_legal_steps``, four
eyes). The reference makes the statement checkable by the borrower and ties it to the record::

    >>> steps = (RecordedStep(LegalStep.LAWYER_LETTER, "LF-2026-0031"),)
    >>> "律师函" in unlocked_phrases("律师函(编号 LF-2026-0031)已寄出", steps)
    True
    >>> unlocked_phrases("律师函已寄出", steps)   # no reference: nothing unlocked
    frozenset()

A lawyer's letter recorded does not unlock 起诉 or 法院 (a suit not filed stays a threat), and
nothing unlocks posing as a court, the police or a lawyer (本院, 法官, 我是律师, 公安), jail or
criminal charges (``phrases.FORBIDDEN``). Nothing is unlocked in a message to an emergency
contact: they are never told about the debt, let alone a suit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from lendcore.collections.phrases import FORBIDDEN

MIN_REFERENCE_LENGTH = 4  # "1" would be cited by any message with a digit in it


class LegalStep(enum.Enum):
    LAWYER_LETTER = "lawyer_letter"  # a lawyer's letter (律师函) sent by the lender's law firm
    SUIT_FILED = "suit_filed"  # a suit (起诉) filed at a court, with the court's 案号
    ENFORCEMENT_APPLIED = "enforcement_applied"  # enforcement (强制执行) of a judgment applied for

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {LegalStep.LAWYER_LETTER: "lawyer's letter", LegalStep.SUIT_FILED: "suit",
           LegalStep.ENFORCEMENT_APPLIED: "application for enforcement"}

# The forbidden words each step, once taken, lets a message to the borrower use.
STEP_PHRASES: dict[LegalStep, frozenset[str]] = {
    LegalStep.LAWYER_LETTER: frozenset({"律师函", "律师事务所", "lawyer's letter", "lawyer",
                                        "attorney"}),
    LegalStep.SUIT_FILED: frozenset({"起诉", "诉讼", "法院", "lawsuit", "court"}),
    LegalStep.ENFORCEMENT_APPLIED: frozenset({"强制执行", "法院", "enforcement", "court"}),
}
_ALL_FORBIDDEN = frozenset(p for phrases in FORBIDDEN.values() for p in phrases)
assert all(STEP_PHRASES[s] <= _ALL_FORBIDDEN for s in LegalStep), "a step unlocks a free word"


@dataclass(frozen=True, slots=True)
class RecordedStep:
    step: LegalStep
    reference: str


def cites(text: str, reference: str) -> bool:
    """Does ``text`` carry ``reference`` (case-insensitively; a too-short one never counts)?"""
    ref = reference.strip()
    return len(ref) >= MIN_REFERENCE_LENGTH and ref.casefold() in text.casefold()


def unlocked_phrases(text: str, steps: Iterable[RecordedStep]) -> frozenset[str]:
    """The forbidden words ``text`` may use: those of every recorded step whose reference it
    cites."""
    found: set[str] = set()
    for recorded in steps:
        if cites(text, recorded.reference):
            found |= STEP_PHRASES[recorded.step]
    return frozenset(found)


def hint(phrase: str, steps: Iterable[RecordedStep]) -> str:
    """Why a legal word was refused, for the collector: no such step, or its reference missing."""
    named = [s for s in LegalStep if phrase in STEP_PHRASES[s]]
    if not named:
        return ""
    recorded = [r for r in steps if r.step in named]
    if not recorded:
        return f" (no {' or '.join(s.label for s in named)} is recorded on this case)"
    refs = ", ".join(sorted(r.reference for r in recorded))
    return f" (recorded on this case as {refs}: a message may say so citing that reference)"
