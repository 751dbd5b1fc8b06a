"""The seed data set: valid identities, a consistent area tree, the seed documents' figures, determinism.

The checks here are written independently of the generator (ID check digit, ages, ratios), so a
bug in a helper of ``services/registry/seed/`` cannot hide itself.
"""
import ast
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from services.registry import seed as seed_module
from services.registry.seed import build_seed

AS_OF = date(2026, 11, 23)
FUSHUN, ENYANG = "2104", "511903"
CODE_LENGTH = {"city": 4, "district": 6, "town": 9, "village": 12}
COMMUNITY_KINDS = {"community_care_centre", "day_care_centre", "mutual_aid_home", "canteen"}
INSTITUTIONAL_KINDS = {"nursing_home", "medical_care_unit"}  # what the registry's statistics count as beds
KEYS = {
    "area": {"code", "name", "tier", "parent_code", "urban"},
    "facility": {"facility_id", "kind", "name", "area_code", "address", "ownership", "operator", "care_type",
                 "capacity", "services", "star_rating"},
    "admission": {"facility_id", "count"},
    "elder": {"elder_id", "id_number", "name", "sex", "birth_date", "home_area_code", "household", "dementia",
              "family_contact"},
    "assessment": {"elder_id", "level", "severity", "assessed_on", "valid_until", "assessor"},
}


@pytest.fixture(scope="module")
def seed():
    return build_seed()


@pytest.fixture(scope="module")
def small():
    return build_seed(scale=1000)


def id_number_is_valid(number: str) -> bool:
    """GB 11643-1999, computed here rather than imported: the weights are 2^(17-i) mod 11."""
    if len(number) != 18 or not number[:17].isdigit() or number[17] not in "0123456789X":
        return False
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(number[:17]))
    return "10X98765432"[total % 11] == number[17]


def age(birth_date: str, on: date = AS_OF) -> int:
    born = date.fromisoformat(birth_date)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def inside(items, key, code):
    return [item for item in items if item[key].startswith(code)]


def institutional(seed, code):
    facilities = [f for f in inside(seed.facilities, "area_code", code) if f["kind"] in INSTITUTIONAL_KINDS]
    beds = sum(f["capacity"]["general_beds"] + f["capacity"]["nursing_beds"] for f in facilities)
    ids = {f["facility_id"] for f in facilities}
    residents = sum(a["count"] for a in seed.admissions if a["facility_id"] in ids)
    return facilities, beds, residents


# --- identities ------------------------------------------------------------------------------------

def test_the_independent_check_is_right_on_the_standards_example():
    assert id_number_is_valid("11010519491231002X")
    assert not id_number_is_valid("110105194912310021")


@pytest.mark.parametrize("name", ["seed", "small"])
def test_every_id_number_is_valid_and_unique(name, request):
    elders = request.getfixturevalue(name).elders
    bad = [e["id_number"] for e in elders if not id_number_is_valid(e["id_number"])]
    assert not bad, bad[:5]
    assert len({e["id_number"] for e in elders}) == len(elders)
    assert len({e["elder_id"] for e in elders}) == len(elders)


def test_sex_and_birth_date_agree_with_the_id_number(seed):
    for elder in seed.elders:
        number = elder["id_number"]
        assert elder["birth_date"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        assert elder["sex"] == ("male" if int(number[16]) % 2 else "female")
        assert number[:4] == elder["home_area_code"][:4]  # issued in the elder's own city


def test_every_elder_is_60_or_over_and_plausibly_named(seed):
    assert min(age(e["birth_date"]) for e in seed.elders) >= 60
    assert max(age(e["birth_date"]) for e in seed.elders) <= 106
    assert all(2 <= len(e["name"]) <= 3 for e in seed.elders)
    contacts = [e["family_contact"] for e in seed.elders if e["family_contact"]]
    assert all(c["phone"].isdigit() and len(c["phone"]) == 11 and c["phone"][0] == "1" for c in contacts)
    assert all(e["family_contact"] is None for e in seed.elders if "extreme_poverty" in e["household"])


def test_household_flags(seed):
    allowed = ["minimum_living_allowance", "extreme_poverty", "empty_nest", "living_alone"]
    for elder in seed.elders:
        flags = elder["household"]
        assert flags == [h for h in allowed if h in flags]  # known, no repeats, canonical order
        assert not {"minimum_living_allowance", "extreme_poverty"} <= set(flags)
        assert "living_alone" not in flags or "empty_nest" in flags


# --- areas -------------------------------------------------------------------------------------------

def test_area_codes_tiers_and_parents_first(seed):
    seen = set()
    for area in seed.areas:
        code, parent = area["code"], area["parent_code"]
        assert code.isdigit() and len(code) == CODE_LENGTH[area["tier"]]
        if area["tier"] == "city":
            assert parent is None
        else:
            assert len(parent) == len(code) - (3 if len(code) > 6 else 2) and code.startswith(parent)
            assert parent in seen, f"{code} comes before its parent {parent}"
        assert code not in seen
        seen.add(code)


def test_urban_follows_the_names(seed):
    for area in seed.areas:
        if area["tier"] in ("city", "district"):
            assert area["urban"] is True
        elif area["name"].endswith(("街道", "社区")):
            assert area["urban"] is True
        else:
            assert area["name"].endswith(("镇", "乡", "村")) and area["urban"] is False


def test_the_real_codes_and_only_enyang_in_bazhong(seed):
    names = {a["code"]: a["name"] for a in seed.areas}
    assert names["2104"] == "抚顺市" and names["5119"] == "巴中市" and names[ENYANG] == "恩阳区"
    assert {c for c in names if len(c) == 6} == {"210402", "210403", "210404", "210411", "210421", "210422",
                                                   "210423", ENYANG}
    assert names["210402"] == "新抚区" and "210402003001" in names  # the demo's street and community
    assert names["511903001001"] == "白玉社区"


def test_enyang_has_18_towns_and_309_villages(seed):
    tiers = Counter(a["tier"] for a in inside(seed.areas, "code", ENYANG))
    assert tiers["town"] == 18 and tiers["village"] == 309


def test_payloads_point_at_known_areas(seed):
    codes = {a["code"]: a for a in seed.areas}
    villages = {c for c, a in codes.items() if a["tier"] == "village"}
    assert all(e["home_area_code"] in villages for e in seed.elders)
    for facility in seed.facilities:
        assert facility["area_code"] in codes
        if facility["kind"] in COMMUNITY_KINDS | {"home_care_bed", "dispatch_centre"}:
            assert len(facility["area_code"]) == 12, facility["name"]
        else:
            assert len(facility["area_code"]) in (6, 9), facility["name"]


# --- payload shapes ------------------------------------------------------------------------------

def test_payloads_have_the_contracted_keys_and_are_json(seed):
    for kind, payload in seed.in_load_order():
        assert set(payload) == KEYS[kind], kind
    assert [k for k, _ in seed.in_load_order()][:1] == ["area"]
    assert json.loads(json.dumps(seed.in_load_order(), ensure_ascii=False)) == [list(p) for p in seed.in_load_order()]


def test_facilities_are_well_formed(seed):
    services = set(seed_module.SERVICES)
    for f in seed.facilities:
        assert f["kind"] in seed_module.FACILITY_KINDS
        assert f["ownership"] in {"public", "private", "public_built_private_run", "private_with_public_aid"}
        assert (f["care_type"] in {"support", "nursing", "medical"}) == (f["kind"] == "nursing_home")
        assert set(f["services"]) <= services and f["services"]
        assert 0 <= f["star_rating"] <= 5 and f["name"] and f["operator"] and f["address"]
        assert all(isinstance(v, int) and v >= 0 for v in f["capacity"].values())
        beds = f["capacity"]["general_beds"] + f["capacity"]["nursing_beds"]
        if f["kind"] in INSTITUTIONAL_KINDS:
            assert beds > 0, f["name"]
        if f["kind"] == "home_care_bed":
            assert beds == 1
        if f["kind"] == "day_care_centre":
            assert f["capacity"]["day_places"] > 0
        if f["kind"] == "canteen":
            assert f["capacity"]["canteen_seats"] > 0
    assert len({f["facility_id"] for f in seed.facilities}) == len(seed.facilities)
    assert len({f["name"] for f in seed.facilities}) == len(seed.facilities)


def test_admissions_fit_in_their_homes(seed):
    facilities = {f["facility_id"]: f for f in seed.facilities}
    for admission in seed.admissions:
        facility = facilities[admission["facility_id"]]
        assert facility["kind"] == "nursing_home"
        assert 0 < admission["count"] <= facility["capacity"]["general_beds"] + facility["capacity"]["nursing_beds"]


def test_assessments(seed):
    elders = {e["elder_id"] for e in seed.elders}
    assert sorted(a["elder_id"] for a in seed.assessments) == sorted(elders)
    for a in seed.assessments:
        assessed, valid = date.fromisoformat(a["assessed_on"]), date.fromisoformat(a["valid_until"])
        assert assessed <= AS_OF < date(2028, 1, 1) and valid > assessed and a["assessor"]
        assert (a["severity"] is None) == (a["level"] == "independent")
        assert a["severity"] in {None, "mild", "moderate", "severe"}
    for code in (FUSHUN, ENYANG):
        ids = {e["elder_id"] for e in inside(seed.elders, "home_area_code", code)}
        expired = [a for a in seed.assessments if a["elder_id"] in ids and a["valid_until"] < AS_OF.isoformat()]
        assert 0 < len(expired) <= 0.05 * len(ids)


# --- the seed documents' figures at scale 100 ------------------------------------------------------

def test_elders_scaled_1_to_100(seed):
    assert len(inside(seed.elders, "home_area_code", FUSHUN)) == 5632
    assert len(inside(seed.elders, "home_area_code", ENYANG)) == 1309


def test_fushun_beds_per_1000_and_occupancy(seed):
    elders = len(inside(seed.elders, "home_area_code", FUSHUN))
    _, beds, residents = institutional(seed, FUSHUN)
    assert beds == 141  # 14 102 / 100
    assert abs(1000 * beds / elders - 25.0) <= 0.5
    assert abs(100 * residents / beds - 51) <= 1


def test_age_structure(seed):
    enyang = [age(e["birth_date"]) for e in inside(seed.elders, "home_area_code", ENYANG)]
    assert abs(100 * sum(a >= 80 for a in enyang) / len(enyang) - 100 * 11_604 / 130_876) <= 0.5
    assert sum(a >= 100 for a in enyang) == 1  # 48 / 100 rounds to 0: at least one
    fushun = [age(e["birth_date"]) for e in inside(seed.elders, "home_area_code", FUSHUN)]
    assert abs(100 * sum(a >= 80 for a in fushun) / len(fushun) - 13.56) <= 0.5
    assert sum(a >= 100 for a in fushun) == 3  # 254 / 100


def test_facility_counts_are_the_real_ones(seed):
    fushun = Counter(f["kind"] for f in inside(seed.facilities, "area_code", FUSHUN))
    assert fushun["community_care_centre"] == 78
    assert fushun["day_care_centre"] == 69
    assert fushun["mutual_aid_home"] == 126
    assert fushun["medical_care_unit"] == 9
    assert fushun["canteen"] == 10
    assert fushun["home_care_bed"] == 2  # 220 / 100: beds in elders' homes scale with the elders
    assert fushun["dispatch_centre"] == 1
    floor = [f["capacity"]["floor_area_m2"] for f in seed.facilities if f["kind"] == "community_care_centre"]
    assert 1600 in floor  # the city centre


def test_shares_are_realistic_and_below_the_targets(seed):
    for code in (FUSHUN, ENYANG):
        facilities, beds, _ = institutional(seed, code)
        nursing = sum(f["capacity"]["nursing_beds"] for f in facilities)
        assert 0.2 <= nursing / beds < 0.6
        villages = [a for a in inside(seed.areas, "code", code) if a["tier"] == "village"]
        covered = {f["area_code"] for f in seed.facilities if f["kind"] in COMMUNITY_KINDS}
        for urban, target in ((True, 0.8), (False, 0.7)):
            pool = [v for v in villages if v["urban"] == urban]
            assert 0.1 <= sum(v["code"] in covered for v in pool) / len(pool) < target
        ids = {e["elder_id"] for e in inside(seed.elders, "home_area_code", code)}
        levels = Counter(a["level"] for a in seed.assessments if a["elder_id"] in ids)
        assert 0.10 <= (levels["partly_disabled"] + levels["fully_disabled"]) / len(ids) <= 0.25
        assert levels["fully_disabled"] < levels["partly_disabled"]


def test_home_care_beds_are_in_eligible_homes(seed):
    """家庭养老床位: low-income households with a moderately or severely disabled elder."""
    severity = {a["elder_id"]: a["severity"] for a in seed.assessments}
    eligible = {e["home_area_code"] for e in seed.elders
                if {"minimum_living_allowance", "extreme_poverty"} & set(e["household"])
                and severity[e["elder_id"]] in ("moderate", "severe")}
    assert all(f["area_code"] in eligible for f in seed.facilities if f["kind"] == "home_care_bed")


def test_summary_agrees_with_the_payloads(seed):
    summary = seed.summary()
    json.dumps(summary)
    fushun, enyang = summary["places"][FUSHUN], summary["places"][ENYANG]
    _, beds, residents = institutional(seed, FUSHUN)
    assert (fushun["institutional_beds"], fushun["residents"]) == (beds, residents)
    assert fushun["beds_per_1000"] == round(1000 * beds / 5632, 2)
    assert fushun["facilities"]["mutual_aid_home"] == 126
    assert (enyang["towns"], enyang["villages"], enyang["elders"]) == (18, 309, 1309)
    assert enyang["aged_80_plus"] == round(1309 * 11_604 / 130_876)
    assert summary["areas"]["village"] == sum(a["tier"] == "village" for a in seed.areas)


# --- determinism, other scales, speed, purity --------------------------------------------------------

def test_same_seed_same_data_other_seed_other_data(seed):
    assert build_seed() == seed
    other = build_seed(seed=7)
    assert other.areas == seed.areas  # geography does not depend on the seed
    assert other.elders != seed.elders and len(other.elders) == len(seed.elders)


def test_same_data_whatever_the_hash_seed(seed):
    """No iteration over sets of strings: the output must not depend on PYTHONHASHSEED."""
    script = ("import hashlib, json; from services.registry.seed import build_seed; "
              "print(hashlib.sha256(json.dumps(build_seed(scale=1000).in_load_order()).encode()).hexdigest())")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    digests = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                              env=dict(os.environ, PYTHONHASHSEED=str(n))).stdout.strip() for n in (1, 2)}
    assert digests == {hashlib.sha256(json.dumps(build_seed(scale=1000).in_load_order()).encode()).hexdigest()}


def test_scale_1000_is_small_and_still_whole(small):
    assert len(small.elders) == 563 + 131
    assert len(small.elders) == len(small.assessments)
    enyang = [age(e["birth_date"]) for e in inside(small.elders, "home_area_code", ENYANG)]
    assert sum(a >= 100 for a in enyang) == 1 and sum(a >= 80 for a in enyang) == 12
    _, beds, residents = institutional(small, FUSHUN)
    assert beds == 14 and 0 < residents <= beds
    kinds = Counter(f["kind"] for f in inside(small.facilities, "area_code", FUSHUN))
    assert kinds["community_care_centre"] == 78 and kinds["home_care_bed"] == 1
    assert small.areas == build_seed().areas


@pytest.mark.parametrize("scale", [0, -1, 1.5, True])
def test_a_bad_scale_is_refused(scale):
    with pytest.raises(ValueError):
        build_seed(scale=scale)


@pytest.mark.parametrize("module", ["__init__", "figures", "common", "institutions", "community", "people"])
def test_the_generator_is_pure(module):
    import os

    path = os.path.join(os.path.dirname(seed_module.__file__), f"{module}.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    from_modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    # The registry's pure domain (import-linter keeps it free of I/O) and the seed's own modules
    # are the only project imports.
    assert all(m.startswith(("services.registry.domain", "services.registry.seed"))
               for m in from_modules if m.startswith("services"))
    imported |= {m.split(".")[0] for m in from_modules if not m.startswith("services")}
    assert imported <= {"__future__", "dataclasses", "datetime", "itertools", "random", "re", "uuid"}
    assert "open(" not in ast.unparse(tree) and "print(" not in ast.unparse(tree)


def test_the_registry_accepts_every_payload(seed):
    """A contract test against the registry's own schemas and pure deciders, as its handlers call them
    (the loader's time is the seed's as_of: elders must be 60 and assessments not in the future then)."""
    from datetime import datetime, timezone

    from shared.schemas import load
    from services.registry import schemas as s
    from services.registry.domain import areas as a, elders as e, facilities as f, identity

    at = datetime(AS_OF.year, AS_OF.month, AS_OF.day, 12, tzinfo=timezone.utc)
    for area in seed.areas:
        body = load(s.AreaBody(), area)
        a.decide(a.Area(), a.RegisterArea(body["code"], body["name"], body["tier"], body["parent_code"],
                                          body["urban"], at))
    for facility in seed.facilities:
        body = load(s.FacilityBody(), facility)
        f.decide(f.Facility(), f.RegisterFacility(
            body["facility_id"], body["kind"], body["name"], body["area_code"], body["address"], body["ownership"],
            body["operator"], body["care_type"], body["capacity"], tuple(body["services"]), body["star_rating"], at))
    registered = {}
    for elder in seed.elders:
        body = load(s.ElderBody(), elder)
        number = identity.validate(body["id_number"], body["birth_date"], body["sex"])
        command = e.RegisterElder(body["elder_id"], number, "0" * 64, body["name"], body["sex"], body["birth_date"],
                                  body["home_area_code"], tuple(body["household"]), body["dementia"],
                                  body["family_contact"], at)
        registered[body["elder_id"]] = e.evolve(e.Elder(), e.decide(e.Elder(), command)[0])
    for assessment in seed.assessments:
        body = load(s.AssessmentBody(), {k: v for k, v in assessment.items() if k != "elder_id"})
        e.decide(registered[assessment["elder_id"]], e.AssessDisability(
            assessment["elder_id"], body["level"], body["severity"], body["assessed_on"], body["valid_until"],
            body["assessor"], at))
