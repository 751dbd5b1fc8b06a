"""Community facilities (centres, day care, mutual-aid homes, canteens), dispatch centres and home care beds."""
from __future__ import annotations

from services.registry.seed.figures import FUSHUN, SIX_AIDS
from services.registry.seed.common import (capacity, company, facility_payload, services_offered,
                                           weighted_choice, apportion, scaled)


# --- community facilities ------------------------------------------------------------------------

def _landmarks(ctx, rng) -> list:
    """The facilities the seed documents name: Fushun's city centre, Enyang's first complex."""
    if ctx.place is FUSHUN:
        code, op = "210402003001", "抚顺市民政局"
        return [facility_payload(ctx, "community_care_centre", 0, "抚顺市居家和社区养老服务中心", code, "public", op,
                          capacity(day=ctx.scaled(40), seats=ctx.scaled(80), floor=1600),
                          services_offered(*SIX_AIDS, "day_care", "trial_stay", "emergency", "health_consultation"), rng=rng),
                facility_payload(ctx, "dispatch_centre", 0, "抚顺市居家智慧养老指挥调度中心", code, "public", op, capacity(floor=240),
                          services_offered("emergency", "housekeeping", "health_consultation", "shopping"), rng=rng)]
    code, op, beds = "511903001001", "成都晚霞集团", ctx.scaled(13, minimum=0)
    full_time = ("full_time_care",) if beds else ()
    return [facility_payload(ctx, "community_care_centre", 0, "登科街道白玉社区养老服务综合中心", code, "public_built_private_run", op,
                      capacity(nursing=beds, day=ctx.scaled(30), seats=ctx.scaled(40), floor=600),
                      services_offered(*SIX_AIDS, "emergency", "day_care", "rehabilitation", "respite_care", "home_visits",
                                *full_time), rng=rng),
            facility_payload(ctx, "dispatch_centre", 0, "白玉社区居家智慧养老指挥调度中心", code, "public_built_private_run", op,
                      capacity(floor=60), services_offered("emergency", "home_visits", "health_consultation"), rng=rng)]


def community_facilities(ctx) -> list:
    rng = ctx.rng("community")
    out = _landmarks(ctx, rng)
    kinds_at: dict[str, list[str]] = {}  # area code -> kinds there (a dict: ordered, unlike a set)
    for f in out:
        kinds_at.setdefault(f["area_code"], []).append(f["kind"])
    rebuilt = apportion(18_100, [rng.uniform(0.5, 1.5) for _ in range(26)]) if ctx.place is FUSHUN else []
    for kind, urban_count, rural_count, colocate in ctx.place.community:
        done = sum(f["kind"] == kind for f in out)
        for urban, count in ((True, urban_count - done), (False, rural_count)):
            pool = ctx.tier("village", urban)
            for _ in range(count):
                taken = [a for a in pool if kind not in kinds_at.get(a["code"], [kind])]
                free = [a for a in pool if a["code"] not in kinds_at]
                village = rng.choice(taken) if taken and (not free or rng.random() < colocate) else rng.choice(free)
                kinds_at.setdefault(village["code"], []).append(kind)
                floor = rebuilt.pop() if kind == "community_care_centre" and urban and rebuilt else None
                out.append(_community_facility(ctx, rng, kind, sum(f["kind"] == kind for f in out), village, floor))
    return out


def _community_facility(ctx, rng, kind, i, village, floor) -> dict:
    town, urban = ctx.names[village["code"][:9]], village["urban"]
    where = town + village["name"]
    committee = village["name"] + ("居民委员会" if urban else "村民委员会")
    if kind == "community_care_centre":
        ownership = "public_built_private_run" if floor else weighted_choice(rng, (
            ("public", 3), ("public_built_private_run", 4), ("private_with_public_aid", 3)) if urban else (
            ("public", 7), ("public_built_private_run", 3)))
        extra = rng.sample(["respite_care", "housekeeping", "health_consultation", "shopping"], rng.randint(1, 3))
        return facility_payload(ctx, kind, i, where + "居家和社区养老服务中心", village["code"], ownership,
                         town + ("街道办事处" if urban else "人民政府") if ownership == "public" else company(ctx, rng),
                         capacity(day=ctx.scaled(rng.randint(20, 40)), seats=ctx.scaled(rng.randint(20, 60)),
                                   floor=floor or rng.randint(300, 900)),
                         services_offered(*SIX_AIDS, "emergency", "day_care", "home_visits", *extra),
                         stars=rng.choice([0, 0, 1, 2, 3]), rng=rng)
    if kind == "day_care_centre":
        ownership = weighted_choice(rng, (("public", 5), ("public_built_private_run", 3), ("private_with_public_aid", 2)))
        extra = [s for s, p in (("bathing", 0.3), ("rehabilitation", 0.2)) if rng.random() < p]
        return facility_payload(ctx, kind, i, where + "日间照料中心", village["code"], ownership,
                         committee if ownership == "public" else company(ctx, rng),
                         capacity(day=ctx.scaled(rng.randint(10, 30)), seats=ctx.scaled(rng.randint(10, 30)),
                                   floor=rng.randint(150, 500)),
                         services_offered("day_care", "meals", "recreation", "health_consultation", *extra), rng=rng)
    if kind == "mutual_aid_home":
        meals = rng.random() < 0.6
        return facility_payload(ctx, kind, i, where + "互助幸福院", village["code"], "public", committee,
                         capacity(day=ctx.scaled(rng.randint(8, 20)), seats=ctx.scaled(rng.randint(8, 20)) if meals else 0,
                                   floor=rng.randint(80, 300)),
                         services_offered("recreation", "home_visits", *(("meals",) if meals else ())), rng=rng)
    ownership = weighted_choice(rng, (("private_with_public_aid", 6), ("public_built_private_run", 4)))
    return facility_payload(ctx, kind, i, where + "老年食堂", village["code"], ownership, company(ctx, rng),
                     capacity(seats=ctx.scaled(rng.randint(30, 80)), floor=rng.randint(150, 400)),
                     services_offered("meals"), rng=rng)


def home_care_beds(ctx, elders, assessments) -> list:
    """家庭养老床位 for low-income elders with moderate or severe disability, in their home community."""
    rng, n = ctx.rng("home_care_beds"), ctx.scaled(ctx.place.home_care_beds)
    heavy = [i for i, a in enumerate(assessments) if a["severity"] in ("moderate", "severe")]
    poor = [i for i in heavy if {"minimum_living_allowance", "extreme_poverty"} & set(elders[i]["household"])]
    chosen = rng.sample(poor, min(n, len(poor)))
    others = sorted(set(heavy) - set(chosen))  # used only when too few are poor (a large scale)
    chosen += rng.sample(others, min(n - len(chosen), len(others)))
    return [facility_payload(ctx, "home_care_bed", i, f"{ctx.names[code[:6]]}家庭养老床位{i + 1:03d}", code, "public",
                      f"{ctx.names[ctx.place.city[0]]}民政局", capacity(nursing=1),
                      services_offered("emergency", "home_visits", "rehabilitation"), rng=rng)
            for i, code in enumerate(elders[j]["home_area_code"] for j in chosen)]
