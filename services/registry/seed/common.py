"""Helpers every part of the seed shares: the per-place context, scaling and apportioning, payload builders."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date

from services.registry.seed.figures import BRANDS, Place, ROADS, SEED_NAMESPACE, SERVICES


def area_row(code, name, tier, parent, urban):
    return {"code": code, "name": name, "tier": tier, "parent_code": parent, "urban": urban}


@dataclass(frozen=True)
class PlaceContext:
    place: Place
    scale: int
    as_of: date
    seed: int
    names: dict
    areas: list

    def rng(self, part: str) -> random.Random:
        """One stream per part, so that changing one part leaves the others' data alone."""
        return random.Random(f"{self.seed}/{self.place.described}/{part}")

    def scaled(self, n: int, minimum: int = 1) -> int:
        return scaled(n, self.scale, minimum)

    def tier(self, tier: str, urban: bool | None = None) -> list[dict]:
        return [a for a in self.areas if a["tier"] == tier and (urban is None or a["urban"] == urban)]

    def facility_id(self, kind: str, i: int) -> str:
        return str(uuid.uuid5(SEED_NAMESPACE, f"{self.seed}/facility/{self.place.described}/{kind}/{i}"))

    def address(self, code: str, rng: random.Random) -> str:
        words = [self.place.province] + [self.names[code[:n]] for n in (4, 6, 9, 12) if len(code) >= n]
        if len(code) == 12 and int(code[9:]) > 200:  # a village: a group (组), not a street number
            return "".join(words) + f"{rng.randint(1, 9)}组"
        return "".join(words) + f"{rng.choice(ROADS)}{rng.randint(1, 199)}号"


def scaled(n: int, scale: int, minimum: int = 1) -> int:
    """n / scale rounded half up, and at least ``minimum`` when n itself is not zero."""
    return max(minimum if n else 0, (2 * n + scale) // (2 * scale))


def apportion(total: int, weights: list[float], caps: list[int] | None = None) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainder), never above ``caps``."""
    caps = caps or [total] * len(weights)
    counts = [0] * len(weights)
    free = [i for i, cap in enumerate(caps) if cap > 0]
    while free and sum(counts) < total:
        left, ws = total - sum(counts), [weights[i] or 1e-9 for i in free]
        quotas = [left * w / sum(ws) for w in ws]
        shares = [int(q) for q in quotas]
        for j in sorted(range(len(free)), key=lambda j: (shares[j] - quotas[j], j))[:left - sum(shares)]:
            shares[j] += 1
        for i, share in zip(free, shares):
            counts[i] += min(share, caps[i] - counts[i])
        free = [i for i in free if counts[i] < caps[i]]
    return counts


def services_offered(*names: str) -> list[str]:
    unknown = set(names) - set(SERVICES)
    assert not unknown, unknown
    return [s for s in SERVICES if s in names]


def capacity(general=0, nursing=0, day=0, seats=0, floor=0) -> dict:
    return {"general_beds": general, "nursing_beds": nursing, "day_places": day, "canteen_seats": seats,
            "floor_area_m2": floor}


def facility_payload(ctx, kind, i, name, area_code, ownership, operator, capacity, services, care_type=None,
              stars=0, rng=None):
    return {"facility_id": ctx.facility_id(kind, i), "kind": kind, "name": name, "area_code": area_code,
            "address": ctx.address(area_code, rng), "ownership": ownership, "operator": operator,
            "care_type": care_type, "capacity": capacity, "services": services, "star_rating": stars}


def company(ctx, rng) -> str:
    return f"{short_name(ctx.names[ctx.place.described])}{rng.choice(BRANDS)}养老服务有限公司"


def short_name(name: str) -> str:
    return name[:-1] if name[-1] in "市区县" else name


def weighted_choice(rng, pairs):
    return rng.choices([k for k, _ in pairs], [w for _, w in pairs])[0]
