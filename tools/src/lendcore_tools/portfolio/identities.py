"""Synthetic identities for a generated book's customers, sealed like the product's own.

Customer ``k`` gets a distinct, valid resident ID number (a region of :data:`REGIONS`, a birth
date making them 18 to 55 on the business date, a sequence, the ISO 7064 check character), a
distinct mobile and a name, all functions of ``k`` and the business date. They are stored as the
decision path stores them (``customers.store.identity_columns``): masked for display, sealed with
the key ring's active key (``pii``), the ID number and the mobile also as their blind indexes.
The same seed must give the same book, so the seals are made with ``pii.seal_reproducibly``
(the nonce derived from the value; the same format, key and associated data).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from lendcore import pii
from lendcore.customers import store as customers_store

REGIONS = ("110101", "310101", "440106", "330106", "510104", "420102", "320102", "610113")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华慧建国志红玉兰斌鹏飞宇浩"
MOBILE_PREFIXES = ("138", "139", "186", "150", "177", "135", "188", "159")
_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
COLUMNS = ("name_masked", "id_number_hash", "id_number_masked", "mobile_masked", "name_sealed",
           "id_number_sealed", "mobile_sealed", "mobile_index")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def id_numbers(ks: np.ndarray, business_date: date) -> list[str]:
    """Distinct valid ID numbers for the distinct customer numbers ``ks`` (from 0)."""
    oldest = _years_before(business_date, 56) + timedelta(days=1)
    span = (_years_before(business_date, 18) - oldest).days + 1
    seq = (ks * 37 + 101) % 1000  # a bijection of k mod 1000
    rest = ks // 1000
    day = (rest * 10007 + 4_000) % span  # distinct for rest < span (10007 is prime)
    region = (rest // span) % len(REGIONS)
    births = (np.datetime64(oldest) + day.astype("timedelta64[D]")).astype(str)
    bodies = [f"{REGIONS[r]}{b.replace('-', '')}{s:03d}"
              for r, b, s in zip(region.tolist(), births.tolist(), seq.tolist(), strict=True)]
    if not bodies:
        return []
    digits = (np.frombuffer("".join(bodies).encode(), dtype=np.uint8).reshape(-1, 17)
              .astype(np.int64) - 48)
    checks = _CHECK[(digits @ _WEIGHTS) % 11]
    return [b + c for b, c in zip(bodies, checks.tolist(), strict=True)]


def names(ks: np.ndarray) -> list[str]:
    mixed = (ks * 2_654_435_761) % 2**32  # Knuth's multiplicative hash: neighbours differ
    a = mixed % len(SURNAMES)
    b = (mixed // 64) % len(GIVEN)
    c = (mixed // 4096) % (2 * len(GIVEN))  # half the names have a second given character
    return [SURNAMES[x] + GIVEN[y] + (GIVEN[z] if z < len(GIVEN) else "")
            for x, y, z in zip(a.tolist(), b.tolist(), c.tolist(), strict=True)]


def mobiles(ks: np.ndarray) -> list[str]:
    n = len(MOBILE_PREFIXES)
    return [f"{MOBILE_PREFIXES[k % n]}{k // n:08d}" for k in ks.tolist()]


def identity_frame(customer_ids: np.ndarray, business_date: date) -> pl.DataFrame:
    """The identity columns of ``customers`` (:data:`COLUMNS`) for these ids, in their order."""
    ks = customer_ids.astype(np.int64) - 1
    name, number, mobile = names(ks), id_numbers(ks, business_date), mobiles(ks)
    ring = pii.current()
    return pl.DataFrame({
        "name_masked": [pii.mask_name(n) for n in name],
        "id_number_hash": [pii.blind_index(n, "id_number", ring) for n in number],
        "id_number_masked": [pii.mask_id_number(n) for n in number],
        "mobile_masked": [pii.mask_mobile(m) for m in mobile],
        "name_sealed": pii.seal_reproducibly(name, customers_store.NAME, ring),
        "id_number_sealed": pii.seal_reproducibly(number, customers_store.ID_NUMBER, ring),
        "mobile_sealed": pii.seal_reproducibly(mobile, customers_store.MOBILE, ring),
        "mobile_index": [pii.blind_index(m, "mobile", ring) for m in mobile],
    }, schema=dict.fromkeys(COLUMNS, pl.Utf8))
