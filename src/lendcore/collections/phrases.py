"""Forbidden content in collection messages and scripts, and words that reveal a debt.

Domain.md section 7 forbids threats, insults, harassment, impersonating police or courts (and
lawyers), public exposure, fees in the name of collection and pushing new borrowing to repay.
Each category has a Chinese and an English phrase list. Chinese phrases match as substrings;
English phrases match as whole words, case-insensitively ("court" matches "court" but not
"courteous")::

    >>> [m.category for m in forbidden_matches("再不还款就起诉你,通知你的通讯录")]
    ['threat', 'exposure']

The lists are deliberately broad: a false refusal costs a collector a rewrite; a false pass is a
regulatory breach. ``DEBT_WORDS`` are words that tell a third party (an emergency contact) about
the debt, which the rule forbids.

Words naming a legal step (律师函, 起诉, 诉讼, 法院, 强制执行 ...) are forbidden as threats or
impersonation *unless* the lender has taken that step: the guard passes them in ``allowed``
(``legal.unlocked_phrases``) for a message to the borrower citing a recorded step's reference.
Posing as a court, the police or a lawyer (本院, 法官, 我是律师, 公安 ...) is never allowed::

    >>> [m.phrase for m in forbidden_matches("已向法院起诉,再不还就坐牢", allowed={"法院", "起诉"})]
    ['坐牢']
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

FORBIDDEN: dict[str, tuple[str, ...]] = {
    # 威胁 threats (including threats of prosecution/lawsuit and of coming to the home/work)
    "threat": (
        "起诉", "坐牢", "拘留", "判刑", "抓你", "后果自负", "走着瞧", "弄死", "上门找你",
        "找你家人", "让你好看", "刑事责任", "诉讼", "强制执行",
        "jail", "prison", "arrest", "sue you", "lawsuit", "or else", "you will regret",
        "criminal charges", "enforcement",
    ),
    # 侮辱 insults
    "insult": (
        "老赖", "骗子", "垃圾", "不要脸", "废物", "人渣", "无赖", "去死",
        "deadbeat", "scum", "liar", "idiot", "loser", "shameless",
    ),
    # 冒充公检法/律师 posing as police, courts, prosecutors or lawyers
    "impersonation": (
        "公安", "警察", "派出所", "法院", "检察院", "律师函", "律师事务所", "传票", "执法",
        "本院", "法官", "我是律师", "本律师",
        "police", "court", "lawyer's letter", "lawyer", "attorney", "summons", "prosecutor",
        "bailiff", "judge", "i am a lawyer",
    ),
    # 公开曝光 public exposure, the phone book, employer, social circle
    "exposure": (
        "曝光", "通讯录", "朋友圈", "公示", "黑名单", "你的单位", "你的同事", "贴大字报",
        "expose", "phone book", "contact list", "your employer", "your colleagues",
        "blacklist", "publicly",
    ),
    # 以催收名义收费 fees charged in the name of collection
    "collection_fee": (
        "催收费", "上门费", "催收服务费", "外访费",
        "collection fee", "visit fee", "collection charge",
    ),
    # 诱导借新还旧 pushing new borrowing to repay
    "borrow_to_repay": (
        "以贷养贷", "借钱还", "借款还", "借新还旧", "网贷还", "套现还", "刷信用卡还",
        "borrow money to pay", "borrow from", "another loan", "take a loan", "payday loan",
    ),
}

# Words that mention the debt: never in a message to an emergency contact.
DEBT_WORDS: tuple[str, ...] = (
    "欠款", "欠钱", "逾期", "还款", "借款", "贷款", "债", "催收", "账单", "未还",
    "debt", "overdue", "loan", "repay", "repayment", "owe", "owes", "arrears", "collection",
    "borrow",
)


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    category: str
    phrase: str


def _is_ascii(phrase: str) -> bool:
    return all(ord(ch) < 128 for ch in phrase)


def _pattern(phrases: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    compiled: list[tuple[str, re.Pattern[str]]] = []
    for phrase in phrases:
        body = re.escape(phrase)
        if _is_ascii(phrase):
            body = rf"(?<![A-Za-z]){body}(?![A-Za-z])"
        compiled.append((phrase, re.compile(body, re.IGNORECASE)))
    return compiled


_FORBIDDEN_PATTERNS = {cat: _pattern(phrases) for cat, phrases in FORBIDDEN.items()}
_DEBT_PATTERNS = _pattern(DEBT_WORDS)


def forbidden_matches(text: str, allowed: Collection[str] = ()) -> list[PhraseMatch]:
    """Every forbidden phrase in ``text``, one match per category (the first phrase found),
    leaving out the phrases in ``allowed`` (a recorded legal step's words)."""
    found: list[PhraseMatch] = []
    for category, patterns in _FORBIDDEN_PATTERNS.items():
        for phrase, pattern in patterns:
            if phrase not in allowed and pattern.search(text):
                found.append(PhraseMatch(category, phrase))
                break
    return found


def debt_words(text: str) -> list[str]:
    """The words in ``text`` that mention the debt."""
    return [phrase for phrase, pattern in _DEBT_PATTERNS if pattern.search(text)]
