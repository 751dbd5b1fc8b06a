from dataclasses import replace
from datetime import date

import pytest

from shared.aggregate import Rejected
from services.billing.domain import money
from services.billing.domain import one_off as o

from billing_examples import CITY, elder

POOR_AND_DISABLED = elder(disability_level="fully_disabled", disability_severity="severe",
                          household=("minimum_living_allowance",))
ON = date(2026, 11, 23)


def test_the_seed_figures_agree_with_each_other():
    beds, cost = o.FUSHUN_FIRST_HOME_CARE_BEDS
    assert beds * o.HOME_CARE_BED_FEN == cost == money.fen(792_000)  # 220 beds × 3 600 yuan = 79.2 万元
    homes, investment = o.ENYANG_ADAPTATION_PILOT
    assert investment // homes == money.fen(1000)


def test_a_home_care_bed_is_granted_3600_yuan():
    grant = o.home_care_bed_grant(POOR_AND_DISABLED, CITY, ON)
    assert grant == o.Grant("home_care_bed", 360_000, "1 bed × 3600.00 yuan")


@pytest.mark.parametrize("changes,reason", [
    ({"home_area_code": "210502001001"}, "home_area"),
    ({"birth_date": date(1970, 1, 1)}, "age"),
    ({"disability_severity": "mild"}, "disability"),
    ({"disability_level": "independent", "disability_severity": None}, "disability"),
    ({"household": ("empty_nest", "low_income")}, "household"),
])
def test_a_home_care_bed_is_for_poor_local_elders_with_moderate_or_severe_disability(changes, reason):
    assert o.home_care_bed_grant(replace(POOR_AND_DISABLED, **changes), CITY, ON).reason == reason


def test_extreme_poverty_households_are_eligible_too():
    poorest = replace(POOR_AND_DISABLED, household=("extreme_poverty",))
    assert o.home_care_bed_grant(poorest, CITY, ON).amount_fen == 360_000


SCHEME = o.CanteenScheme(construction_fen_per_m2=money.fen(500), construction_cap_fen=money.fen(300_000),
                         operating_fen_per_person=money.fen(20), operating_cap_fen=None)


def test_a_canteen_is_subsidised_by_floor_area_built_within_a_cap():
    assert o.canteen_construction_grant(200, SCHEME) == o.Grant("canteen_construction", money.fen(100_000),
                                                                "200 m² × 500.00 yuan")
    capped = o.canteen_construction_grant(1000, SCHEME)
    assert capped.amount_fen == money.fen(300_000) and "capped at 300000.00 yuan" in capped.basis


def test_a_canteen_is_subsidised_early_on_by_people_served():
    assert o.canteen_operating_grant(150, SCHEME).amount_fen == money.fen(3000)


@pytest.mark.parametrize("count", [0, -5, True, 2.5])
def test_counts_must_be_positive_integers(count):
    with pytest.raises(Rejected) as error:
        o.canteen_operating_grant(count, SCHEME)
    assert error.value.field == "people_served"
