"""Seed data for the registry: the areas, facilities, elders and assessments of two real places.

Fushun city (抚顺市, 2104) and Enyang district of Bazhong (巴中市恩阳区, 511903), built to the
figures of the seed documents (docs/seed-data.md gives each figure's source and the rounding
rules). Pure and deterministic: ``build_seed`` returns plain JSON-able command payloads in an
order the registry accepts (areas parent-first, facilities, admissions, elders, assessments) and
does no I/O. People and beds are divided by ``scale``; small facility counts are kept real.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date

from services.registry.domain.elders import age_on
from services.registry.seed.figures import (COMMUNITY_KINDS, COMMUNITY_NAMES, FACILITY_KINDS, HOUSEHOLD, PLACES,
                                            SERVICES, VILLAGE_NAMES)
from services.registry.seed.common import PlaceContext, area_row
from services.registry.seed.institutions import medical_units, nursing_homes
from services.registry.seed.community import community_facilities, home_care_beds
from services.registry.seed.people import elders_and_assessments


@dataclass(frozen=True)
class Seed:
    areas: list
    facilities: list
    admissions: list
    elders: list
    assessments: list
    scale: int = 100
    seed: int = 2104
    as_of: str = "2026-11-23"

    def in_load_order(self) -> list[tuple[str, dict]]:
        """(kind, payload) pairs in an order the registry accepts."""
        return [(kind, payload) for kind, payloads in (
            ("area", self.areas), ("facility", self.facilities), ("admission", self.admissions),
            ("elder", self.elders), ("assessment", self.assessments)) for payload in payloads]

    def summary(self) -> dict:
        """The figures the registry should show for this seed (see docs/seed-data.md)."""
        return _summarise(self)


def build_seed(scale: int = 100, as_of: date = date(2026, 11, 23), seed: int = 2104) -> Seed:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ValueError(f"scale must be a positive integer, not {scale!r}")
    areas = build_areas()
    names = {a["code"]: a["name"] for a in areas}
    facilities, admissions, elders, assessments = [], [], [], []
    for place in PLACES:
        ctx = PlaceContext(place, scale, as_of, seed, names, [a for a in areas if a["code"].startswith(place.described)])
        medical = medical_units(ctx)
        homes, residents = nursing_homes(ctx, sum(f["capacity"]["nursing_beds"] for f in medical))
        people, levels = elders_and_assessments(ctx)
        facilities += homes + medical + community_facilities(ctx) + home_care_beds(ctx, people, levels)
        admissions += residents
        elders += people
        assessments += levels
    return Seed(areas, facilities, admissions, elders, assessments, scale, seed, as_of.isoformat())


# --- areas ---------------------------------------------------------------------------------------

def build_areas() -> list[dict]:
    """The area tree, parents first. It depends on nothing: geography does not change with the seed.

    Codes below the district follow the statistics bureau's ranges: streets 001-099, towns 101-199,
    townships 201-399; communities 001-199, villages 201-399.
    """
    rng = random.Random(2260)
    areas = []
    for place in PLACES:
        areas.append(area_row(place.city[0], place.city[1], "city", None, True))
        for district_code, district_name, towns in place.districts:
            areas.append(area_row(district_code, district_name, "district", place.city[0], True))
            numbers = {"街道": 0, "镇": 100, "乡": 200}
            for word in towns.split():
                name, count, first = re.fullmatch(r"(\D+?)(\d+)(?::(.*))?", word).groups()
                kind = "街道" if name.endswith("街道") else name[-1]
                numbers[kind] += 1
                code, urban = f"{district_code}{numbers[kind]:03d}", kind == "街道"
                areas.append(area_row(code, name, "town", district_code, urban))
                pool = COMMUNITY_NAMES if urban else VILLAGE_NAMES[place.city[0]]
                fixed = first.split(",") if first else []
                chosen = fixed + rng.sample([n for n in pool if n not in fixed], int(count) - len(fixed))
                for i, village in enumerate(chosen, start=1 if urban else 201):
                    areas.append(area_row(f"{code}{i:03d}", village + ("社区" if urban else "村"), "village", code, urban))
    return areas


# --- summary -------------------------------------------------------------------------------------

def _summarise(seed: Seed) -> dict:
    as_of = date.fromisoformat(seed.as_of)
    levels = {a["elder_id"]: a for a in seed.assessments}
    return {"scale": seed.scale, "seed": seed.seed, "as_of": seed.as_of,
            "areas": {t: sum(a["tier"] == t for a in seed.areas) for t in ("city", "district", "town", "village")},
            "places": {p.described: _place_summary(p, seed, as_of, levels) for p in PLACES}}


def _pct(part, whole) -> float:
    return round(100 * part / whole, 2) if whole else 0.0


def _place_summary(place, seed, as_of, levels) -> dict:
    def inside(code):
        return code.startswith(place.described)
    elders = [e for e in seed.elders if inside(e["home_area_code"])]
    ages = [age_on(date.fromisoformat(e["birth_date"]), as_of) for e in elders]
    facilities = [f for f in seed.facilities if inside(f["area_code"])]
    institutions = [f for f in facilities if f["kind"] in ("nursing_home", "medical_care_unit")]  # as the registry
    homes = [f["capacity"] for f in institutions]
    home_ids = {f["facility_id"] for f in institutions}
    beds = sum(c["general_beds"] + c["nursing_beds"] for c in homes)
    nursing = sum(c["nursing_beds"] for c in homes)
    residents = sum(a["count"] for a in seed.admissions if a["facility_id"] in home_ids)
    villages = [a for a in seed.areas if a["tier"] == "village" and inside(a["code"])]
    covered = {f["area_code"] for f in facilities if f["kind"] in COMMUNITY_KINDS}
    assessed = [levels[e["elder_id"]] for e in elders]
    partly = sum(a["level"] == "partly_disabled" for a in assessed)
    fully = sum(a["level"] == "fully_disabled" for a in assessed)

    def coverage(urban):
        pool = [v for v in villages if v["urban"] == urban]
        return _pct(sum(v["code"] in covered for v in pool), len(pool))
    return {
        "name": next(a["name"] for a in seed.areas if a["code"] == place.described),
        "towns": sum(a["tier"] == "town" and inside(a["code"]) for a in seed.areas),
        "villages": len(villages), "urban_villages": sum(v["urban"] for v in villages),
        "elders": len(elders), "aged_80_plus": sum(a >= 80 for a in ages), "centenarians": sum(a >= 100 for a in ages),
        "share_80_plus_pct": _pct(sum(a >= 80 for a in ages), len(elders)),
        "institutional_beds": beds, "nursing_type_beds": nursing, "nursing_type_share_pct": _pct(nursing, beds),
        "residents": residents, "occupancy_pct": _pct(residents, beds),
        "beds_per_1000": round(1000 * beds / len(elders), 2) if elders else 0.0,
        "facilities": {k: sum(f["kind"] == k for f in facilities) for k in FACILITY_KINDS},
        "medical_care_beds": sum(f["capacity"]["nursing_beds"] for f in facilities if f["kind"] == "medical_care_unit"),
        "coverage_urban_pct": coverage(True), "coverage_rural_pct": coverage(False),
        "partly_disabled": partly, "fully_disabled": fully, "disabled_share_pct": _pct(partly + fully, len(elders)),
        "dementia": sum(e["dementia"] for e in elders),
        "household": {h: sum(h in e["household"] for e in elders) for h in HOUSEHOLD},
        "no_family_contact": sum(e["family_contact"] is None for e in elders),
        "expired_assessments": sum(a["valid_until"] < seed.as_of for a in assessed),
        "targets": dict(place.targets),
    }
