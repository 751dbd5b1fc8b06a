"""Tier statistics and the targets they are read against (DOMAIN.md, the seed documents).

The figures an upper tier reads: elders 60+/80+/100+, institutional beds and beds per 1 000
elders (target 35–40), nursing-type share of beds (target ≥ 60 %), occupancy, facilities by
kind, and community-facility coverage of villages/communities (≥ 80 % urban, ≥ 70 % rural).
Ratios are exact fractions rounded only for display.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

BEDS_PER_1000_TARGET = (35, 40)
NURSING_SHARE_TARGET = Fraction(60, 100)
COVERAGE_TARGET = {"urban": Fraction(80, 100), "rural": Fraction(70, 100)}


@dataclass(frozen=True)
class TierFigures:
    """Counts for one area with everything inside it."""

    area_code: str
    elders_60: int = 0
    elders_80: int = 0
    elders_100: int = 0
    beds: int = 0
    nursing_beds: int = 0
    residents: int = 0
    facilities_by_kind: dict = field(default_factory=dict)
    villages: dict = field(default_factory=dict)          # {"urban": n, "rural": n}
    covered_villages: dict = field(default_factory=dict)  # {"urban": n, "rural": n}


def _ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def _percent(value: Fraction | None) -> float | None:
    return None if value is None else round(float(value) * 100, 1)


def statistics(figures: TierFigures) -> dict:
    """The statistics table of one area, with each figure against its target."""
    per_1000 = _ratio(figures.beds * 1000, figures.elders_60)
    nursing = _ratio(figures.nursing_beds, figures.beds)
    coverage = {k: _ratio(figures.covered_villages.get(k, 0), figures.villages.get(k, 0)) for k in ("urban", "rural")}
    low, high = BEDS_PER_1000_TARGET
    return {
        "area_code": figures.area_code,
        "elders": {"60+": figures.elders_60, "80+": figures.elders_80, "100+": figures.elders_100},
        "beds": figures.beds,
        "nursing_beds": figures.nursing_beds,
        "residents": figures.residents,
        "beds_per_1000_elders": None if per_1000 is None else round(float(per_1000), 1),
        "beds_per_1000_target": [low, high],
        "beds_per_1000_met": None if per_1000 is None else per_1000 >= low,
        "nursing_bed_share_percent": _percent(nursing),
        "nursing_bed_share_met": None if nursing is None else nursing >= NURSING_SHARE_TARGET,
        "occupancy_percent": _percent(_ratio(figures.residents, figures.beds)),
        "facilities_by_kind": dict(sorted(figures.facilities_by_kind.items())),
        "community_coverage_percent": {k: _percent(v) for k, v in coverage.items()},
        "community_coverage_met": {k: None if v is None else v >= COVERAGE_TARGET[k] for k, v in coverage.items()},
        "villages": dict(figures.villages),
    }
