"""Nursing homes and medical-care units: the institutional beds of the statistics."""
from __future__ import annotations

from services.registry.seed.figures import BRANDS, HOME_SUFFIXES, MIN_BEDS_PER_HOME
from services.registry.seed.common import (capacity, company, facility_payload, services_offered, short_name,
                                           weighted_choice, apportion, scaled)


# --- institutions --------------------------------------------------------------------------------

NURSING_WEIGHT = {"support": 0.1, "nursing": 0.7, "medical": 0.9}  # how much of a home is nursing-type
CARE_TYPES = {"public": (("support", 1),), "public_built_private_run": (("nursing", 6), ("support", 4)),
              "private": (("nursing", 55), ("support", 30), ("medical", 15)),
              "private_with_public_aid": (("nursing", 7), ("medical", 3))}


def nursing_homes(ctx, medical_beds: int) -> tuple[list, list]:
    """养老机构: the scaled beds over as many homes as keep at least a few beds each.

    The registry counts medical-care units' beds as institutional beds too, so the homes hold the
    rest and the place's total (and so beds per 1 000 elders) is the document's.
    """
    place, rng = ctx.place, ctx.rng("nursing_homes")
    total = ctx.scaled(place.beds)
    beds = max(1, total - medical_beds)
    n = max(1, min(place.nursing_homes, beds // MIN_BEDS_PER_HOME))
    district_code = place.districts[0][0]
    rural_towns = ctx.tier("town", urban=False)
    rng.shuffle(rural_towns)
    brands = [(b, s) for b in BRANDS for s in HOME_SUFFIXES]
    rng.shuffle(brands)
    described = ctx.names[place.described]
    specs = [("public", "nursing", district_code, f"{described}社会福利中心", f"{described}民政局", 3.0, 4)]
    for _ in range(n - 1):
        ownership = weighted_choice(rng, place.home_ownership)
        if ownership == "public" and rural_towns:  # a township 敬老院 (供养型)
            town = rural_towns.pop()
            specs.append(("public", "support", town["code"], f"{ctx.names[town['code'][:6]]}{town['name']}敬老院",
                          f"{town['name']}人民政府", rng.uniform(0.5, 1.2), rng.choice([0, 1, 1, 2])))
            continue
        ownership = "private" if ownership == "public" else ownership
        town = rng.choices(ctx.tier("town"), [3 if t["urban"] else 1 for t in ctx.tier("town")])[0]
        brand, suffix = brands.pop()  # 160 names: enough for every private home at scale 1
        specs.append((ownership, weighted_choice(rng, CARE_TYPES[ownership]), town["code"],
                      f"{short_name(described)}{brand}{suffix}", company(ctx, rng),
                      rng.uniform(0.6, 2.5), rng.choice([0, 1, 2, 2, 3])))
    base = min(MIN_BEDS_PER_HOME, beds // n)
    sizes = [base + extra for extra in apportion(beds - base * n, [s[5] for s in specs])]
    nursing = apportion(max(0, int(total * place.nursing_bed_share + 0.5) - medical_beds),
                        [size * NURSING_WEIGHT[s[1]] for s, size in zip(specs, sizes)], caps=sizes)
    residents = apportion(ctx.scaled(place.residents), [size * rng.uniform(0.6, 1.4) for size in sizes], caps=sizes)
    homes, admissions = [], []
    for i, (spec, size, nursing_beds, count) in enumerate(zip(specs, sizes, nursing, residents)):
        ownership, care_type, code, name, operator, _, stars = spec
        extra = ("rehabilitation", "medical") if care_type != "support" else ("day_care",)
        respite = ("respite_care",) if rng.random() < 0.4 else ()
        homes.append(facility_payload(
            ctx, "nursing_home", i, name, code, ownership, operator,
            capacity(general=size - nursing_beds, nursing=nursing_beds, floor=rng.randint(1200, 6000)),
            services_offered("admission", "full_time_care", "meals", "recreation", "bathing", "trial_stay", *extra, *respite),
            care_type=care_type, stars=min(5, stars + (care_type == "medical")), rng=rng))
        if count:
            admissions.append({"facility_id": homes[-1]["facility_id"], "count": count})
    return homes, admissions


MEDICAL_UNITS = (("210403", "辽健集团抚矿老虎台医院"), ("210404", "辽健集团抚矿胜利医院"), ("210411", "辽健集团抚矿脑科医院"),
                 ("210402", "新抚区第三医院"), ("210404", "望花区人民医院"), ("210411", "顺城区人民医院"),
                 ("210421", "抚顺县人民医院"), ("210422", "新宾满族自治县人民医院"), ("210423", "清原满族自治县人民医院"))


def medical_units(ctx) -> list:
    """医养结合单位: hospitals with elderly-care beds (only Fushun's are in the seeds).

    Each keeps at least one bed (the registry requires beds of a medical-care unit), so below
    scale 40 the total is the number of units rather than 356 / scale.
    """
    place, rng = ctx.place, ctx.rng("medical_units")
    units = [u for u in MEDICAL_UNITS if u[0].startswith(place.described)][:place.medical_units]
    extra = max(0, ctx.scaled(place.medical_beds) - len(units)) if units else 0
    beds = [1 + n for n in apportion(extra, [rng.uniform(0.5, 1.5) for _ in units])]
    out = []
    for i, ((district, name), count) in enumerate(zip(units, beds)):
        towns = [t for t in ctx.tier("town") if t["code"].startswith(district)]
        town = rng.choice([t for t in towns if t["urban"]] or towns)
        operator = "辽健集团" if name.startswith("辽健") else f"{ctx.names[district]}卫生健康局"
        out.append(facility_payload(ctx, "medical_care_unit", i, name, town["code"], "public", operator,
                             capacity(nursing=count, floor=rng.randint(800, 3000)),
                             services_offered("medical", "rehabilitation", "full_time_care", "admission", "health_consultation"),
                             rng=rng))
    return out
