"""Masks for display (domain rule 10) and the age band that replaces a birth date.

    >>> mask_id_number("110101199003070011"), mask_mobile("13812345678"), mask_name("张三")
    ('110101********0011', '138****5678', '张**')
    >>> mask_bank_card("6222021234567891234"), age_band(29)
    ('6222 **** **** 1234', '25-34')

A mask shows what the holder recognises and hides what identifies. No field shown beside a mask
may give back what it hides: the eight digits an ID mask hides are the birth date, so a response
that shows ``110101********0011`` shows no birth date and no exact age, only a ten-year band
(the gender, the 17th character, is already in the mask's last four). A name keeps its first
character and always two stars, whatever its length (``张**`` for 张三 and 欧阳娜娜 alike).
"""

from __future__ import annotations

AGE_BANDS = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64))


def mask_name(name: str) -> str:
    name = name.strip()
    return (name[:1] or "*") + "**"


def mask_id_number(id_number: str) -> str:
    number = id_number.strip().upper()
    return number[:6] + "*" * 8 + number[-4:]


def mask_mobile(mobile: str) -> str:
    mobile = mobile.strip()
    return mobile[:3] + "****" + mobile[-4:]


def mask_bank_card(number: str) -> str:
    digits = "".join(number.split())
    return f"{digits[:4]} **** **** {digits[-4:]}"


def age_band(age: int | None) -> str | None:
    """A ten-year band (``"25-34"``); under 18 and 65 or over are open bands."""
    if age is None:
        return None
    if age < AGE_BANDS[0][0]:
        return f"under {AGE_BANDS[0][0]}"
    for low, high in AGE_BANDS:
        if age <= high:
            return f"{low}-{high}"
    return f"{AGE_BANDS[-1][1] + 1}+"
