"""KYC: the 18-character resident ID number, age, gender, masks and the keyed identity hash.

A resident ID number (居民身份证号码, GB 11643-1999) is ``RRRRRR YYYYMMDD SSS C``: a 6-digit
region code, the birth date, a 3-digit sequence (its last digit, the 17th character, is odd for
men and even for women) and a check character by ISO 7064 MOD 11-2 (``X`` stands for 10; a
lower-case ``x`` is accepted and read as ``X``)::

    11010519491231002X -> born 1949-12-31 in 北京市朝阳区, female (17th digit 2), check X

python-stdnum (``stdnum.cn.ric``) supplies the check character, the birth date and the region
table (a region code must have been assigned in the birth year). We also refuse a birth date
after the application date.

Age is whole years completed on the application date; someone born on 29 February turns a year
older on 1 March in a common year (the birthday has not yet come on 28 February).

The ID expires at the end of its expiry date: valid on that date, expired the day after. A
long-term (长期) card never expires.

Identity is never stored raw: :func:`id_number_hash` is the blind index of ``pii.index`` (the
same HMAC-SHA256, written here so that the domain imports nothing of ``pii``), keyed with the
key ring's index key, so the hash finds a re-application without being reversible by
enumerating the ~10^10 plausible ID numbers. Masks (domain rule 10) are ``pii.masking``'s.
"""

from __future__ import annotations

import functools
import hmac
import re
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from lendcore.origination.model import Kyc
from lendcore.reasons import Reason

_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9Xx]$")
_MOBILE_SHAPE = re.compile(r"^1[3-9][0-9]{9}$")


def normalise_id_number(raw: str) -> str:
    return raw.strip().upper()


def check_id_number(raw: str, on: date) -> tuple[date | None, str | None, list[Reason]]:
    """Birth date and gender of a valid ID number, or the reasons it is invalid."""
    number = normalise_id_number(raw)
    if not _ID_SHAPE.match(number):
        return None, None, [Reason("id_number_invalid",
                                   "must be 17 digits and a check digit or X (18 characters)")]
    if number[-1] != ric.calc_check_digit(number):
        return None, None, [Reason("id_number_invalid",
                                   "check character does not match (ISO 7064 MOD 11-2)")]
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        return None, None, [Reason("id_number_invalid", "birth date is not a real date")]
    if birth > on:
        return None, None, [Reason("id_number_invalid", "birth date is after the application date")]
    if not _known_region(number[:6], birth.year):
        return None, None, [Reason("id_number_invalid",
                                   f"region code {number[:6]} is not a known region")]
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return birth, gender, []


@functools.lru_cache(maxsize=8192)
def _known_region(region: str, birth_year: int) -> bool:
    """stdnum's region lookup (whether the code existed in that year) scans its data file on
    each call; the answer depends only on the region code and year, so it is cached."""
    probe = f"{region}{birth_year:04d}0101001"
    try:
        ric.get_birth_place(probe + ric.calc_check_digit(probe))
    except (ValidationError, KeyError, ValueError):
        return False
    return True


def age_on(birth: date, on: date) -> int:
    """Whole years completed on ``on`` (a 29 February birthday counts from 1 March)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def id_expired(expiry: date | None, on: date) -> bool:
    return expiry is not None and expiry < on


def verify(id_number: str, id_expiry: date | None, on: date) -> Kyc:
    birth, gender, reasons = check_id_number(id_number, on)
    if birth is None:
        return Kyc(False, reasons=tuple(reasons))
    if id_expired(id_expiry, on):
        reasons.append(Reason("id_expired", f"the ID card expired on {id_expiry}"))
    return Kyc(True, birth, age_on(birth, on), gender, tuple(reasons))


def is_mobile(raw: str) -> bool:
    return bool(_MOBILE_SHAPE.match(raw))


def id_number_hash(id_number: str, key: bytes) -> str:
    """Keyed hash of the normalised ID number (hex); never the raw number."""
    return hmac.digest(key, normalise_id_number(id_number).encode(), "sha256").hex()
