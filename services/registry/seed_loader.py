"""Loading the seed data set into a running registry, through the same commands as real use.

Every area, facility, admission, elder and assessment goes through the registry's RPC (batched
for speed, one command and one unit of work per item), so the events, read models and statistics
are exactly those a district team would produce by hand.
"""
from __future__ import annotations

import uuid
from typing import Callable

from services.registry.seed import Seed

BATCH = 200
# Residents the seed places in nursing homes without naming them: stable ids of their own.
RESIDENTS = uuid.UUID("9a3c1e52-4f0b-5d6e-8a7b-2c1d0e9f8a7b")


def part_of(seed: Seed, area_code: str, excluding: tuple[str, ...] = (), with_areas: bool = True) -> dict[str, list]:
    """The slice of the seed written at the node of ``area_code``: the facilities, residents,
    elders and assessments inside its area but not inside ``excluding`` (its children's areas,
    written at their own nodes: single writer), and with ``with_areas`` the area tree of its
    area and its ancestors (the city keeps the tree; it reaches the other nodes by sync)."""
    def homed_here(code: str) -> bool:
        return code.startswith(area_code) and not (excluding and code.startswith(tuple(excluding)))

    areas = [a for a in seed.areas if a["code"].startswith(area_code) or area_code.startswith(a["code"])]
    facilities = [f for f in seed.facilities if homed_here(f["area_code"])]
    facility_ids = {f["facility_id"] for f in facilities}
    elders = [e for e in seed.elders if homed_here(e["home_area_code"])]
    elder_ids = {e["elder_id"] for e in elders}
    admissions = [{"facility_id": a["facility_id"], "elder_id": str(uuid.uuid5(RESIDENTS, f"{a['facility_id']}/{n}"))}
                  for a in seed.admissions if a["facility_id"] in facility_ids for n in range(a["count"])]
    assessments = [a for a in seed.assessments if a["elder_id"] in elder_ids]
    return {"areas": areas if with_areas else [], "facilities": facilities, "admissions": admissions,
            "elders": elders, "assessments": assessments}


def load(registry, part: dict[str, list], progress: Callable[[str], None] = print) -> dict:
    """Push ``part`` through ``registry`` (a nameko RPC proxy of the registry service)."""
    loaded = {"areas": 0}
    if part["areas"]:
        result = registry.import_areas(part["areas"])
        progress(f"areas: {result['registered']} registered ({result['rows']} in the file)")
        loaded["areas"] = result["registered"]
    for kind in ("facilities", "admissions", "elders", "assessments"):
        items, done, errors = part[kind], 0, []
        for start in range(0, len(items), BATCH):
            answer = registry.register_many(kind, items[start:start + BATCH])
            done += answer["done"]
            errors += answer["errors"]
            progress(f"{kind}: {done}/{len(items)}")
        if errors:
            raise RuntimeError(f"{len(errors)} {kind} refused, first: {errors[0]['error']}")
        loaded[kind] = done
    return loaded
