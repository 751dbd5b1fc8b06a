import textwrap
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.billing.domain import policy_file
from services.billing.domain.policies import EligibleGroup, ServiceRate, check_policy_set, policy_in_force
from services.billing.domain.policy_file import parse_policies

from billing_examples import CITY, DISTRICT, VILLAGE, meals_at, policies, policy


def test_a_policy_file_is_read_into_exact_values():
    [home_care] = policies()
    assert (home_care.policy_id, home_care.version, home_care.set_by) == ("fushun-home-care", 1, CITY)
    assert home_care.home_area_prefix == CITY
    assert home_care.eligible == (EligibleGroup(60, None, ("fully_disabled", "partly_disabled")), EligibleGroup(80))
    assert home_care.rates == (ServiceRate("cleaning", "hours", 3000), ServiceRate("meals", "meals", 1000))
    assert (home_care.monthly_cap_fen, home_care.copay_share) == (40000, Decimal("0.1"))
    assert (home_care.effective_from, home_care.effective_to) == (date(2026, 1, 1), None)
    assert home_care.hospital_suspension_days == 15


def test_yaml_values_are_accepted_as_yaml_loads_them():
    [loaded] = policies(policy(set_by=2104, copay_share=0.15, effective_from=date(2026, 1, 1)))
    assert (loaded.set_by, loaded.copay_share, loaded.effective_from) == (CITY, Decimal("0.15"), date(2026, 1, 1))


@pytest.mark.parametrize("changes,message", [
    ({"services": meals_at(0)}, "policies[2].services.meals.rate_fen: must be a positive integer"),
    ({"services": meals_at(9.5)}, "policies[2].services.meals.rate_fen: must be a positive integer"),
    ({"services": {"meals": {"unit": "bowls", "rate_fen": 500}}}, "policies[2].services.meals.unit: must be one of"),
    ({"services": {}}, "policies[2].services: a mapping of services"),
    ({"set_by": "21"}, "policies[2].set_by: must be an area code of 4 or 6 digits"),
    ({"home_area_prefix": "2105"}, "policies[2].home_area_prefix: must lie inside 2104"),
    ({"effective_to": "2025-12-31"}, "policies[2].effective_to: must not be before effective_from"),
    ({"effective_from": "next year"}, "policies[2].effective_from: must be a date"),
    ({"effective_from": datetime(2026, 1, 1, 8)}, "policies[2].effective_from: must be a date"),
    ({"copay_share": "110%"}, "policies[2].copay_share: '110%' is not between 0 and 1"),
    ({"eligible": []}, "policies[2].eligible: a non-empty list"),
    ({"eligible": [{"min_age": 80, "max_age": 70}]}, "policies[2].eligible[0].max_age: must not be below min_age"),
    ({"eligible": [{"household": ["rich"]}]}, "policies[2].eligible[0].household: must be a list of"),
    ({"eligible": [{"disability_levels": "fully_disabled"}]},
     "policies[2].eligible[0].disability_levels: must be a list"),
    ({"version": "1"}, "policies[2].version: must be a positive integer"),
    ({"version": True}, "policies[2].version: must be a positive integer"),
    ({"monthly_cap_fen": -1}, "policies[2].monthly_cap_fen: must be a positive integer"),
    ({"budget_line": "Home Care"}, "policies[2].budget_line: must be a lower-case name"),
    ({"name": " "}, "policies[2].name: must be non-empty text"),
])
def test_a_bad_value_is_refused_naming_its_path(changes, message):
    other = [policy(id=f"other-{n}", services={"bathing": {"unit": "sessions", "rate_fen": 4000}}) for n in (1, 2)]
    with pytest.raises(Rejected) as error:
        parse_policies({"policies": [other[0], other[1], policy(**changes)]})
    assert str(error.value).startswith(message)


@pytest.mark.parametrize("data", [{"policy": []}, "policies", {"policies": {"a": 1}}])
def test_a_file_without_a_list_of_policies_is_refused(data):
    with pytest.raises(Rejected) as error:
        parse_policies(data)
    assert error.value.field == "policies"


def test_an_entry_that_is_not_a_mapping_is_refused():
    with pytest.raises(Rejected) as error:
        parse_policies([policy(), "fushun"])
    assert error.value.field == "policies[1]"


# -- the set: versions and contradictions --------------------------------------------------------
V1 = policy(effective_to="2026-06-30")
V2 = policy(version=2, effective_from="2026-07-01", services=meals_at(1200))


def test_versions_follow_each_other():
    first, second = policies(V1, V2)
    assert (first.effective_to, second.effective_from) == (date(2026, 6, 30), date(2026, 7, 1))


@pytest.mark.parametrize("second,field,message", [
    (policy(version=2, effective_from="2026-06-01"), "policies[1].effective_from",
     "fushun-home-care versions 1 and 2 are both in force from 2026-06-01 to 2026-06-30"),
    (policy(effective_from="2026-07-01"), "policies[1].version", "fushun-home-care version 1 appears twice"),
    (policy(version=2, set_by=DISTRICT, effective_from="2026-07-01"), "policies[1].set_by",
     "a policy belongs to one area"),
    (policy(version=2, effective_from="2025-07-01", effective_to="2025-12-31"), "policies[1].effective_from",
     "fushun-home-care version 2 takes effect on 2025-07-01, not after version 1 (2026-01-01)"),
])
def test_overlapping_or_contradictory_versions_are_refused(second, field, message):
    with pytest.raises(Rejected) as error:
        policies(V1, second)
    assert error.value.field == field
    assert message in error.value.reason


def test_an_open_ended_version_runs_until_the_next_takes_effect():
    first, second = policies(policy(), V2)
    assert first.effective_to == date(2026, 6, 30) and second.effective_to is None


def test_two_policies_of_one_area_for_the_same_service_at_once_are_refused():
    clash = policy(id="fushun-meals", services=meals_at(800), effective_from="2026-06-01")
    with pytest.raises(Rejected) as error:
        policies(policy(), clash)
    assert error.value.field == "policies[1].rates"
    assert error.value.reason.startswith(
        "fushun-meals v1 and fushun-home-care v1, both set by 2104, pay for meals from 2026-06-01 on")


def test_policies_of_one_area_for_other_services_or_other_times_live_together():
    bathing = policy(id="fushun-bathing", services={"bathing": {"unit": "sessions", "rate_fen": 4000}})
    earlier = policy(id="fushun-meals-2025", effective_from="2025-01-01", effective_to="2025-12-31")
    assert len(policies(policy(), bathing, earlier)) == 3


# -- which version is in force -----------------------------------------------------------------
def test_the_version_in_force_on_the_day_of_service_applies():
    book = policies(V1, V2)
    assert policy_in_force(book, "meals", VILLAGE, date(2026, 6, 30)).version == 1
    assert policy_in_force(book, "meals", VILLAGE, date(2026, 7, 1)).version == 2
    assert policy_in_force(book, "meals", VILLAGE, date(2025, 12, 31)) is None


def test_no_policy_for_another_service_or_area():
    book = policies()
    assert policy_in_force(book, "bathing", VILLAGE, date(2026, 7, 1)) is None
    assert policy_in_force(book, "meals", "2105020030001", date(2026, 7, 1)) is None


def test_a_districts_policy_replaces_its_citys_inside_the_district():
    district = policy(id="xinfu-meals", set_by=DISTRICT, services={"meals": {"unit": "meals", "rate_fen": 1500}})
    book = policies(policy(), district)
    assert policy_in_force(book, "meals", VILLAGE, date(2026, 7, 1)).policy_id == "xinfu-meals"
    assert policy_in_force(book, "meals", "210403001001", date(2026, 7, 1)).policy_id == "fushun-home-care"
    assert policy_in_force(book, "cleaning", VILLAGE, date(2026, 7, 1)).policy_id == "fushun-home-care"


# -- property: a checked set never has two versions in force on one day --------------------------
periods = st.lists(st.tuples(st.integers(0, 60), st.one_of(st.none(), st.integers(0, 30))), min_size=1, max_size=5)


@given(periods, st.integers(0, 100))
def test_a_checked_set_has_at_most_one_version_in_force_on_any_day(spans, day_offset):
    start = date(2026, 1, 1)
    [base] = policies()
    versions = tuple(replace(base, version=n + 1, effective_from=start + timedelta(days=offset),
                             effective_to=None if length is None else start + timedelta(days=offset + length))
                     for n, (offset, length) in enumerate(spans))
    try:
        checked = check_policy_set(versions)
    except Rejected:
        return
    day = start + timedelta(days=day_offset)
    assert sum(p.in_force_on(day) for p in checked) <= 1
    assert [p.effective_from for p in checked] == sorted(p.effective_from for p in checked)


def test_the_example_in_the_policy_file_docstring_loads():
    example = textwrap.dedent(policy_file.__doc__.split("The shape::")[1])
    [home_care] = parse_policies(yaml.safe_load(example))
    assert (home_care.copay_share, home_care.effective_to, home_care.services) == (
        Decimal("0.1"), date(2023, 12, 31), ("cleaning", "meals"))
