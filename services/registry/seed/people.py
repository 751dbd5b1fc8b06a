"""Elders and their disability assessments: ages, sexes, households, valid ID numbers."""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from itertools import accumulate

from services.registry.domain import identity
from services.registry.seed.figures import (AGE_BANDS, DEMENTIA, DISABILITY, EMPTY_NEST, EXPIRED_PERCENT,
                                            GIVEN, HOUSEHOLD, MALE_SHARE, PHONE_PREFIXES, POVERTY,
                                            SEED_NAMESPACE, SURNAMES)
from services.registry.seed.common import apportion, scaled


# --- elders and assessments ----------------------------------------------------------------------

def elders_and_assessments(ctx) -> tuple[list, list]:
    """老年人电子档案 and 能力评估: the scaled elders with the documents' age structure, one assessment each."""
    place, rng = ctx.place, ctx.rng("elders")
    total, aged_80, aged_100 = (ctx.scaled(n) for n in (place.aged_60, place.aged_80, place.centenarians))
    bands = ["100"] * aged_100 + ["80"] * (aged_80 - aged_100) + ["60"] * (total - aged_80)
    rng.shuffle(bands)
    villages = ctx.tier("village")
    homes = [v for v, n in zip(villages, apportion(total, [
        (place.urban_weight if v["urban"] else 1.0) * rng.uniform(0.6, 1.4) for v in villages])) for _ in range(n)]
    surnames = list(SURNAMES + place.surnames)
    surname_weights = list(accumulate([1 / (i + 8) for i in range(len(SURNAMES))] + [1 / 38] * len(place.surnames)))
    districts = [d[0] for d in place.districts]
    assessors = {d: [_name(rng, surnames, surname_weights, "younger") for _ in range(3)] for d in districts}
    expired = set(rng.sample(range(total), scaled(total * EXPIRED_PERCENT, 100)))
    used, elders, assessments = set(), [], []
    for i, (band, village) in enumerate(zip(bands, homes)):
        ages, weights = AGE_BANDS[band]
        age = rng.choices(ages, cum_weights=weights)[0]
        sex = "male" if rng.random() < MALE_SHARE[band] else "female"
        birth = _birth_date(rng, age, ctx.as_of)
        district = village["code"][:6]
        if len(districts) > 1 and rng.random() < place.other_district_ids:
            district = rng.choice([d for d in districts if d != district])
        id_number = _id_number(rng, district, birth, sex, used)
        household = _household(rng, village["urban"])
        decade = min(age // 10 * 10, 100)
        dementia = rng.random() < DEMENTIA[decade]
        elder_id = str(uuid.uuid5(SEED_NAMESPACE, f"{ctx.seed}/elder/{id_number}"))
        surname = rng.choices(surnames, cum_weights=surname_weights)[0]
        elders.append({
            "elder_id": elder_id, "id_number": id_number, "name": surname + rng.choice(GIVEN[sex]), "sex": sex,
            "birth_date": birth.isoformat(), "home_area_code": village["code"], "household": household,
            "dementia": dementia, "family_contact": _contact(rng, surname, surnames, surname_weights, household)})
        assessments.append(_assessment(rng, ctx, elder_id, decade, dementia, i in expired,
                                       f"{ctx.names[village['code'][:6]]}老年人能力评估站 "
                                       f"{rng.choice(assessors[village['code'][:6]])}"))
    return elders, assessments


def _name(rng, surnames, weights, generation) -> str:
    return rng.choices(surnames, cum_weights=weights)[0] + rng.choice(GIVEN[generation])


def _contact(rng, surname, surnames, weights, household) -> dict | None:
    if "extreme_poverty" in household or rng.random() < 0.04:  # 特困: no one to support them
        return None
    name = (surname if rng.random() < 0.75 else rng.choices(surnames, cum_weights=weights)[0]) + rng.choice(GIVEN["younger"])
    return {"name": name, "phone": rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"}


def _household(rng, urban) -> list[str]:
    extreme, minimum = POVERTY[urban]
    r, flags = rng.random(), set()
    if r < extreme:
        flags |= {"extreme_poverty", "empty_nest", "living_alone"}
    elif r < extreme + minimum:
        flags.add("minimum_living_allowance")
    if rng.random() < EMPTY_NEST[urban]:
        flags.add("empty_nest")
        if rng.random() < 0.3:  # 独居 is the empty nest of one
            flags.add("living_alone")
    return [h for h in HOUSEHOLD if h in flags]


def _assessment(rng, ctx, elder_id, decade, dementia, expired, assessor) -> dict:
    partly, fully = DISABILITY[decade]
    if dementia:
        partly, fully = partly + 0.15, fully + 0.15
    r = rng.random()
    if r < fully:
        level, severity = "fully_disabled", "severe" if rng.random() < 0.75 else "moderate"
    elif r < fully + partly:
        level, severity = "partly_disabled", "moderate" if rng.random() < 0.3 else "mild"
    else:
        level, severity = "independent", None
    assessed = ctx.as_of - timedelta(days=rng.randint(380, 700) if expired else rng.randint(0, 330))
    return {"elder_id": elder_id, "level": level, "severity": severity, "assessed_on": assessed.isoformat(),
            "valid_until": (_years_after(assessed, 1) - timedelta(days=1)).isoformat(), "assessor": assessor}


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _birth_date(rng, age: int, as_of: date) -> date:
    latest = _years_after(as_of, -age)                       # turns `age` on as_of
    earliest = _years_after(as_of, -age - 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _id_number(rng, district: str, birth: date, sex: str, used: set) -> str:
    """居民身份证号码 (GB 11643-1999): area, birth date, sequence (odd for men), check digit."""
    while True:
        body = f"{district}{birth:%Y%m%d}{rng.randrange(1 if sex == 'male' else 2, 1000, 2):03d}"
        number = body + identity.check_digit(body)
        if number not in used:
            used.add(number)
            return number
