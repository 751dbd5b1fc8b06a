"""The thresholds of the supervision rules: defaults, overridden per area in the configuration.

Overrides are keyed by area code; an area takes the defaults, then its city's overrides, then its
district's, town's and village's, so a district tightens a rule for all its towns and one town can
still set its own. Example (YAML)::

    supervision:
      "2104":   {away_days: 10}
      "210402": {claims_peer_factor: 4}
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Mapping

from shared.aggregate import Rejected
from services.alerts.domain.tiers import tier_of_area


@dataclass(frozen=True)
class Thresholds:
    occupancy_deviation_points: int = 30  # occupancy (入住率) this many percentage points from its normal
    over_capacity_margin: int = 0  # residents beyond the beds tolerated
    undelivered_grace_days: int = 1  # a day for a delivery to be recorded before it counts as missing
    claims_peer_factor: int = 3  # a provider's claims above k × the median of its peers'
    claims_min_peers: int = 3  # with fewer peers there is no pattern to be out of
    claims_floor: int = 10  # so few claims are never out of pattern, whatever the peers
    away_days: int = 15  # an elder away (in hospital) this long gets no home-care subsidy meanwhile
    assessment_grace_days: int = 0  # days a disability assessment may run past its validity


NAMES = tuple(f.name for f in fields(Thresholds))


def thresholds_for(area_code: str, overrides: Mapping[str, Mapping[str, int]]) -> Thresholds:
    """The thresholds that hold in ``area_code``: the defaults, then each enclosing area's overrides."""
    thresholds = Thresholds()
    for prefix in sorted((p for p in overrides if area_code.startswith(p)), key=len):
        thresholds = _apply(thresholds, prefix, overrides[prefix])
    return thresholds


def check_overrides(overrides: Mapping[str, Mapping[str, int]]) -> None:
    """Refuse a configuration with an unknown area, threshold or value (at start-up, not at first use)."""
    for prefix, values in overrides.items():
        _apply(Thresholds(), prefix, values)


def _apply(thresholds: Thresholds, prefix: str, values: Mapping[str, int]) -> Thresholds:
    tier_of_area(prefix, field=f"supervision.{prefix}")
    for name, value in values.items():
        if name not in NAMES:
            raise Rejected(f"unknown threshold; known: {', '.join(NAMES)}", field=f"supervision.{prefix}.{name}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise Rejected("a whole number, not negative", field=f"supervision.{prefix}.{name}")
        thresholds = replace(thresholds, **{name: value})
    return thresholds
