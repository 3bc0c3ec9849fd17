"""Apply the points table at decision time, in plain Python (no pandas, no scikit-learn).

The table (``scorecard_points.json``, written by ``lendcore scorecard train``, versioned in the
repository) holds base points and, per attribute, bins with integer points. A numeric bin is the
half-open range ``[low, high)``; a categorical bin lists its values. The score is the exact
integer sum; higher is safer. Scaling: 600 points at good:bad odds 19:1, 50 points to double the
odds (PDO), so a score ``s`` means bad odds ``exp((600 - s) * ln2 / 50) / 19``::

    score 600 -> bad odds 1/19 (PD 5%);  score 550 -> 2/19 (PD 9.5%);  score 500 -> PD 17.4%

Adverse attributes: for each attribute, points lost = the attribute's best bin's points minus
the applicant's bin's points; the reason codes name the attributes that lost the most points
(ties by attribute name, so the order is stable).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

POINTS_PATH = Path(__file__).parent / "scorecard_points.json"


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    numeric: bool
    edges: tuple[Decimal, ...]  # numeric: the lower edges of bins 1..n-1
    lookup: Mapping[str, int]  # categorical: value -> bin index
    points: tuple[int, ...]
    labels: tuple[str, ...]  # human description of each bin

    @property
    def best_points(self) -> int:
        return max(self.points)

    def bin_of(self, value: str | int | Decimal) -> int:
        if self.numeric:
            if isinstance(value, str):
                raise TypeError(f"{self.name} is numeric")
            return bisect_right(self.edges, value)
        return self.lookup[str(value)]


@dataclass(frozen=True, slots=True)
class AttributeScore:
    name: str
    bin_label: str
    points: int
    points_lost: int  # vs the attribute's best bin


@dataclass(frozen=True, slots=True)
class Score:
    total: int
    parts: tuple[AttributeScore, ...]

    def adverse(self, count: int) -> list[AttributeScore]:
        lost = [p for p in self.parts if p.points_lost > 0]
        lost.sort(key=lambda p: (-p.points_lost, p.name))
        return lost[:count]


@dataclass(frozen=True, slots=True)
class Scorecard:
    base_points: int
    attributes: tuple[Attribute, ...]
    version: str

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.attributes)

    def score(self, profile: Mapping[str, str | int | Decimal]) -> Score:
        parts = []
        total = self.base_points
        for attr in self.attributes:
            i = attr.bin_of(profile[attr.name])
            pts = attr.points[i]
            total += pts
            parts.append(AttributeScore(attr.name, attr.labels[i], pts, attr.best_points - pts))
        return Score(total, tuple(parts))


def parse_table(table: Mapping[str, object], version: str = "") -> Scorecard:
    attributes = []
    for raw in table["attributes"]:  # type: ignore[attr-defined]
        bins = raw["bins"]
        numeric = raw["kind"] == "numeric"
        if numeric:
            edges = tuple(Decimal(b["range"][0]) for b in bins[1:])
            labels = tuple(f"[{b['range'][0]}, {b['range'][1]})" for b in bins)
            lookup: dict[str, int] = {}
        else:
            edges = ()
            lookup = {v: i for i, b in enumerate(bins) for v in b["values"]}
            labels = tuple(" | ".join(b["values"]) for b in bins)
        points = tuple(int(b["points"]) for b in bins)
        attributes.append(Attribute(raw["name"], numeric, edges, lookup, points, labels))
    return Scorecard(int(table["base_points"]), tuple(attributes), version)  # type: ignore[call-overload]


@lru_cache(maxsize=4)
def load_scorecard(path: Path = POINTS_PATH) -> Scorecard:
    text = path.read_text(encoding="utf-8")
    import hashlib

    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return parse_table(json.loads(text), version)
