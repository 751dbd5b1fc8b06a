from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.pricing import ClaimLine, HospitalStay, NotEligible, price

from billing_examples import DISTRICT, delivery, elder, meals_at, policies, policy

HOME_CARE = policies()


def test_a_delivery_is_priced_by_the_policy_in_force():
    line = price(delivery(), elder(), HOME_CARE)
    assert line == ClaimLine("b1", "el1", "f1", "210402003001", "meals", date(2026, 11, 20), 3, gross_fen=3000,
                             subsidy_fen=2700, copay_fen=300, policy_id="fushun-home-care", policy_version=1,
                             set_by="2104", budget_line="home-care-purchase", capped=False)


@pytest.mark.parametrize("rate,copay", [(333, 33), (335, 34), (1, 0), (5, 1)])
def test_the_co_payment_is_rounded_to_the_fen_half_up(rate, copay):
    book = policies(policy(services=meals_at(rate)))
    line = price(delivery(units=1), elder(), book)
    assert (line.copay_fen, line.subsidy_fen) == (copay, rate - copay)


def test_a_claim_is_priced_by_the_version_in_force_on_the_day_of_service():
    book = policies(policy(effective_to="2026-10-31"),
                    policy(version=2, effective_from="2026-11-01", copay_share="20%",
                           services=meals_at(1200)))
    october = price(delivery(service_date=date(2026, 10, 31)), elder(), book)
    assert (october.policy_version, october.gross_fen, october.subsidy_fen) == (1, 3000, 2700)
    november = price(delivery(service_date=date(2026, 11, 1)), elder(), book)
    assert (november.policy_version, november.gross_fen, november.subsidy_fen) == (2, 3600, 2880)


def test_a_districts_own_policy_prices_deliveries_inside_it():
    book = policies(policy(), policy(id="xinfu-meals", set_by=DISTRICT, copay_share=0, budget_line="xinfu-meals",
                                     services=meals_at(1500)))
    line = price(delivery(), elder(), book)
    assert (line.policy_id, line.set_by, line.subsidy_fen, line.copay_fen) == ("xinfu-meals", DISTRICT, 4500, 0)


@pytest.mark.parametrize("the_delivery,the_elder,reason", [
    (delivery(service="bathing"), elder(), "no_policy"),
    (delivery(service_date=date(2025, 12, 31)), elder(), "no_policy"),
    (delivery(area_code="210502001001"), elder(), "no_policy"),
    (delivery(service="cleaning", unit="minutes"), elder(), "unit"),
    (delivery(), elder(home_area_code="210502001001"), "home_area"),
    (delivery(), elder(disability_level="independent", disability_severity=None), "disability"),
    (delivery(), elder(birth_date=date(1970, 1, 1)), "age"),
    (delivery(), elder(hospital_stays=(HospitalStay(date(2026, 11, 10), date(2026, 11, 24)),)), "in_hospital"),
    (delivery(), elder(hospital_stays=(HospitalStay(date(2026, 11, 1), None),)), "in_hospital"),
])
def test_a_delivery_not_eligible_records_why(the_delivery, the_elder, reason):
    outcome = price(the_delivery, the_elder, HOME_CARE)
    assert isinstance(outcome, NotEligible)
    assert outcome.reason == reason
    assert outcome.detail


def test_an_independent_elder_of_80_is_in_the_second_group():
    line = price(delivery(), elder(birth_date=date(1946, 11, 20), disability_level="independent",
                                   disability_severity=None), HOME_CARE)
    assert line.subsidy_fen == 2700


def test_age_is_counted_on_the_day_of_service():
    independent = elder(birth_date=date(1946, 11, 21), disability_level="independent", disability_severity=None)
    assert price(delivery(service_date=date(2026, 11, 20)), independent, HOME_CARE).reason == "disability"
    assert price(delivery(service_date=date(2026, 11, 21)), independent, HOME_CARE).subsidy_fen == 2700


@pytest.mark.parametrize("group,the_elder,reason", [
    ({"min_age": 60, "household": ["minimum_living_allowance"]}, elder(), "household"),
    ({"min_age": 60, "severities": ["severe"]}, elder(), "disability"),
    ({"min_age": 60, "max_age": 74}, elder(birth_date=date(1940, 1, 1)), "age"),
])
def test_each_condition_of_a_group_is_checked(group, the_elder, reason):
    assert isinstance(price(delivery(), the_elder, HOME_CARE), ClaimLine)  # only the group refuses
    assert price(delivery(), the_elder, policies(policy(eligible=[group]))).reason == reason


def test_the_reason_says_what_the_policy_asks_for():
    outcome = price(delivery(), elder(birth_date=date(1940, 1, 1)), policies(policy(eligible=[{"max_age": 74}])))
    assert outcome.detail == "aged 86, the policy pays for 60–74"
    young = price(delivery(), elder(birth_date=date(1967, 1, 1)), HOME_CARE)
    assert young.detail == "aged 59, the policy pays for 60+"  # both groups refuse for age: the first is named


def test_a_hospital_stay_shorter_than_15_days_does_not_suspend_the_subsidy():
    short = elder(hospital_stays=(HospitalStay(date(2026, 11, 10), date(2026, 11, 23)),))  # 14 days
    assert price(delivery(), short, HOME_CARE).subsidy_fen == 2700
    over = elder(hospital_stays=(HospitalStay(date(2026, 11, 1), date(2026, 11, 19)),))  # ended the day before
    assert price(delivery(), over, HOME_CARE).subsidy_fen == 2700


def test_a_policy_may_set_its_own_hospital_suspension():
    stay = elder(hospital_stays=(HospitalStay(date(2026, 11, 15), date(2026, 11, 21)),))  # 7 days
    assert price(delivery(), stay, policies(policy(hospital_suspension_days=7))).reason == "in_hospital"


def test_the_monthly_cap_cuts_the_subsidy_and_the_elder_pays_the_rest():
    line = price(delivery(), elder(), HOME_CARE, claimed_this_month_fen=39000)
    assert (line.subsidy_fen, line.copay_fen, line.gross_fen, line.capped) == (1000, 2000, 3000, True)


def test_past_the_monthly_cap_nothing_is_claimed():
    outcome = price(delivery(), elder(), HOME_CARE, claimed_this_month_fen=40000)
    assert (outcome.reason, outcome.policy_id, outcome.policy_version) == ("cap_reached", "fushun-home-care", 1)


def test_without_a_cap_there_is_no_limit():
    line = price(delivery(), elder(), policies(policy(monthly_cap_fen=None)), claimed_this_month_fen=10**9)
    assert line.subsidy_fen == 2700


def test_a_reversed_line_negates_every_amount():
    line = price(delivery(), elder(), HOME_CARE)
    back = line.reversed()
    assert (back.units, back.gross_fen, back.subsidy_fen, back.copay_fen) == (-3, -3000, -2700, -300)
    assert back.reversed() == line


# -- properties --------------------------------------------------------------------------------
rates = st.integers(min_value=1, max_value=100_000)
shares = st.decimals(min_value=0, max_value=1, places=3).map(str)
caps = st.one_of(st.none(), st.integers(min_value=1, max_value=1_000_000))


@given(rates, shares, caps, st.integers(1, 500), st.integers(0, 1_000_000))
def test_subsidy_plus_co_payment_is_the_gross_price(rate, share, cap, units, claimed):
    book = policies(policy(copay_share=share, monthly_cap_fen=cap, services=meals_at(rate)))
    outcome = price(delivery(units=units), elder(), book, claimed)
    if isinstance(outcome, NotEligible):
        assert outcome.reason == "cap_reached" and claimed >= cap
        return
    assert outcome.subsidy_fen + outcome.copay_fen == outcome.gross_fen == units * rate
    assert outcome.subsidy_fen >= 0 and outcome.copay_fen >= 0
    assert cap is None or outcome.subsidy_fen <= max(cap - claimed, 0)


@given(rates, shares, st.integers(1, 200_000), st.lists(st.integers(1, 30), min_size=1, max_size=40))
def test_an_elders_subsidy_in_a_month_never_exceeds_the_cap(rate, share, cap, units):
    book = policies(policy(copay_share=share, monthly_cap_fen=cap, services=meals_at(rate)))
    claimed = 0
    for n, count in enumerate(units):
        outcome = price(delivery(booking_id=f"b{n}", units=count), elder(), book, claimed)
        claimed += outcome.subsidy_fen if isinstance(outcome, ClaimLine) else 0
        assert claimed <= cap
