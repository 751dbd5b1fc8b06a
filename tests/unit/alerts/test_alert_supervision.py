from datetime import date, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from shared.aggregate import Rejected
from services.alerts.domain import alerts as a
from services.alerts.domain import supervision as s
from services.alerts.domain.thresholds import Thresholds, check_overrides, thresholds_for

DEFAULTS = Thresholds()
TOWN = "210402003"
# Midnight starting 25 November in Beijing, still the 24th in UTC: rules run on China's day.
AT = datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 25)


def occupancy(residents, beds=100, normal=60):
    return s.Occupancy("f-1", TOWN, "2026-11", residents, beds, normal)


@pytest.mark.parametrize("residents,found", [(30, True), (31, False), (89, False), (90, True), (95, True)])
def test_occupancy_far_from_normal_at_and_around_the_deviation(residents, found):
    assert bool(s.occupancy_far_from_normal(occupancy(residents), DEFAULTS, AT)) is found


def test_occupancy_deviation_is_exact_with_a_fractional_normal_and_ignores_bedless_places():
    assert s.occupancy_far_from_normal(occupancy(2, beds=3, normal=Fraction(110, 3)), DEFAULTS, AT)
    assert not s.occupancy_far_from_normal(occupancy(2, beds=3, normal=Fraction(111, 3)), DEFAULTS, AT)
    assert s.occupancy_far_from_normal(occupancy(0, beds=0), DEFAULTS, AT) == []


@pytest.mark.parametrize("residents,margin,found", [(100, 0, False), (101, 0, True), (105, 5, False), (106, 5, True)])
def test_over_capacity_beyond_the_beds_and_the_margin(residents, margin, found):
    limits = Thresholds(over_capacity_margin=margin)
    assert bool(s.over_capacity(occupancy(residents), limits, AT)) is found


def test_a_finding_is_the_same_for_the_same_rule_subject_and_period():
    [first] = s.over_capacity(occupancy(120), DEFAULTS, AT)
    [again] = s.over_capacity(occupancy(130), DEFAULTS, AT + timedelta(days=1))
    [next_month] = s.over_capacity(s.Occupancy("f-1", TOWN, "2026-12", 120, 100, 60), DEFAULTS, AT)
    assert first.finding_id == again.finding_id != next_month.finding_id
    assert (first.rule, first.subject, first.severity, first.facility_id) == \
           ("over_capacity", "facility:f-1", "high", "f-1")
    [far] = s.occupancy_far_from_normal(occupancy(120), DEFAULTS, AT)
    assert far.finding_id != first.finding_id


@pytest.mark.parametrize("service_date,status,found", [
    (date(2026, 11, 24), "confirmed", False),
    (date(2026, 11, 23), "confirmed", True),
    (date(2026, 11, 23), "delivered", False),
    (date(2026, 11, 23), "cancelled", False),
])
def test_a_confirmed_booking_not_delivered_past_its_date_and_the_grace(service_date, status, found):
    booking = s.Booking("b-1", "el-1", "f-1", TOWN, service_date, status)
    assert bool(s.booking_not_delivered(booking, DEFAULTS, AT)) is found


def test_the_day_is_china_s_not_utc_s():
    booking = s.Booking("b-1", "el-1", "f-1", TOWN, date(2026, 11, 23), "confirmed")
    assert s.booking_not_delivered(booking, DEFAULTS, AT)
    assert s.booking_not_delivered(booking, DEFAULTS, AT - timedelta(minutes=1)) == []


def claims(*counts):
    return [s.ClaimCount(f"p-{i}", TOWN, "2026-11", n) for i, n in enumerate(counts)]


@pytest.mark.parametrize("counts,flagged", [
    ((30, 10, 10, 10), []),  # 3 × the median: not above it
    ((31, 10, 10, 10), ["p-0"]),
    ((31, 10, 10), []),  # two peers are no pattern
    ((9, 0, 0, 0), []),  # below the floor, whatever the peers
    ((10, 0, 0, 0), ["p-0"]),
    ((76, 10, 21, 30, 40), []),  # an even number of peers: the median is 25.5, the limit 76.5
    ((77, 10, 21, 30, 40), ["p-0"]),
])
def test_claims_out_of_pattern_above_k_times_the_median_of_peers(counts, flagged):
    found = s.claims_out_of_pattern(claims(*counts), DEFAULTS, AT)
    assert [f.facility_id for f in found] == flagged


CLAIM = s.SubsidyClaim("c-1", "el-1", "p-1", TOWN, date(2026, 11, 10))


@pytest.mark.parametrize("away_from,back_on,found", [
    (date(2026, 11, 1), date(2026, 11, 16), True),  # 15 days away
    (date(2026, 11, 1), date(2026, 11, 15), False),  # 14 days
    (date(2026, 11, 10), None, True),  # still away on the 25th: 15 days so far
    (date(2026, 11, 11), None, False),  # away from the day after the claim
    (date(2026, 10, 20), date(2026, 11, 10), False),  # back home on the claimed day
    (date(2026, 10, 1), date(2026, 11, 1), False),  # long, but over before it
])
def test_a_claim_for_an_elder_away_15_days_or_more(away_from, back_on, found):
    absences = [s.Absence("el-2", date(2026, 11, 1), None), s.Absence("el-1", away_from, back_on)]
    findings = s.claim_while_away(CLAIM, absences, DEFAULTS, AT)
    assert bool(findings) is found
    assert all((f.elder_id, f.facility_id, f.subject) == ("el-1", "p-1", "claim:c-1") for f in findings)


def test_the_away_days_are_configurable():
    absence = [s.Absence("el-1", date(2026, 11, 1), date(2026, 11, 11))]
    assert s.claim_while_away(CLAIM, absence, Thresholds(away_days=10), AT)
    assert not s.claim_while_away(CLAIM, absence, DEFAULTS, AT)


@pytest.mark.parametrize("valid_until,grace,found", [
    (TODAY, 0, False), (TODAY - timedelta(days=1), 0, True),
    (TODAY - timedelta(days=7), 7, False), (TODAY - timedelta(days=8), 7, True),
])
def test_a_disability_assessment_past_its_validity(valid_until, grace, found):
    fact = s.Assessment("el-1", "210402003001", valid_until)
    assert bool(s.assessment_expired(fact, Thresholds(assessment_grace_days=grace), AT)) is found


def test_a_finding_raises_one_alert_with_its_id_at_the_node_that_found_it():
    [finding] = s.assessment_expired(s.Assessment("el-1", "210402003001", date(2026, 1, 1)), DEFAULTS, AT)
    command = s.raise_for(finding, "town", AT)
    [event] = a.alert.run([], command)[1]
    assert (event.alert_id, event.source, event.source_ref, event.kind, event.severity, event.ack_within) == \
           (finding.finding_id, "supervision", finding.finding_id, "assessment_expired", "low", timedelta(hours=2))


def test_thresholds_are_overridden_by_ever_narrower_areas():
    overrides = {"2104": {"away_days": 10, "claims_floor": 5}, "210402": {"away_days": 12},
                 "210402003": {"claims_floor": 1}, "2105": {"away_days": 1}}
    assert thresholds_for("210402003001", overrides) == Thresholds(away_days=12, claims_floor=1)
    assert thresholds_for("210403", overrides) == Thresholds(away_days=10, claims_floor=5)
    assert thresholds_for("3301", overrides) == DEFAULTS


@pytest.mark.parametrize("overrides,field", [
    ({"21040": {"away_days": 1}}, "supervision.21040"),
    ({"2104": {"away": 1}}, "supervision.2104.away"),
    ({"2104": {"away_days": -1}}, "supervision.2104.away_days"),
    ({"2104": {"away_days": 1.5}}, "supervision.2104.away_days"),
])
def test_a_bad_threshold_configuration_is_refused_naming_it(overrides, field):
    with pytest.raises(Rejected) as error:
        check_overrides(overrides)
    assert error.value.field == field
