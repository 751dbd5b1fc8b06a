"""The demo day's pure helpers: the plan it makes from the seed, its tallies and its formats."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.demo_day import (
    POLICY, Report, StepFailed, alert_history, likeliest_eligible, local_today, oldest, plan_day, policy_summary,
    seconds_between, statement_line, tally, wait_for, yuan)


def _facility(fid, services, beds=0, day_places=0, seats=0, name=None):
    return {"facility_id": fid, "name": name or fid, "services": services,
            "capacity": {"general_beds": beds, "nursing_beds": 0, "day_places": day_places,
                         "canteen_seats": seats, "floor_area_m2": 100}}


def _elders(prefix, years):
    return [{"elder_id": f"{prefix}-{n}", "name": f"{prefix}{n}", "birth_date": f"{year}-01-01"}
            for n, year in enumerate(years)]


VILLAGE = {"facilities": [_facility("v-centre", ["meals", "cleaning", "day_care"], day_places=1, seats=1),
                          _facility("v-dispatch", ["emergency", "shopping"]),
                          _facility("v-daycare", ["meals", "day_care"], day_places=1, seats=1)],
           "elders": _elders("v", [1966, 1940, 1950, 1938, 1945, 1960])}
TOWN = {"facilities": [_facility("t-home", ["meals", "admission"], beds=4),
                       _facility("t-canteen", ["meals"], seats=1),
                       _facility("t-daycare", ["meals", "day_care"], day_places=1, seats=1)],
        "elders": _elders("t", [1950, 1930, 1944, 1941, 1970])}
TODAY = date(2026, 11, 24)


def test_oldest_first():
    assert [e["elder_id"] for e in oldest(VILLAGE["elders"], 3)] == ["v-3", "v-1", "v-4"]


def test_likeliest_eligible_puts_the_disabled_and_the_80_plus_first():
    part = {"elders": _elders("e", [1966, 1947, 1946, 1960, 1930]),
            "assessments": [{"elder_id": "e-0", "level": "fully_disabled"}, {"elder_id": "e-3", "level": "independent"},
                            {"elder_id": "e-1", "level": "independent"}]}
    # e-0 disabled, e-4 and e-2 aged 80+ on the day (born by 1946-11-24); e-1 (79) and e-3 last, oldest first
    assert [e["elder_id"] for e in likeliest_eligible(part, 5, TODAY)] == ["e-4", "e-2", "e-0", "e-1", "e-3"]
    # the day before, e-2 is 79
    assert [e["elder_id"] for e in likeliest_eligible(part, 2, date(2025, 12, 31))] == ["e-4", "e-0"]


def test_the_plan_books_at_each_facilitys_node_and_moves_occupancy():
    plan = plan_day(VILLAGE, TOWN, TODAY)

    village = [p for p in plan if p.tier == "village"]
    assert {p.node for p in village} == {"xinfu-s03-c001"}
    assert {p.facility for p in village} == {"v-centre", "v-daycare"}  # never the dispatch centre
    assert {p.elder for p in village} <= {e["elder_id"] for e in VILLAGE["elders"]}
    admission = [p for p in plan if p.service == "admission"]
    assert [(p.node, p.facility, p.then) for p in admission] == [("xinfu-s03", "t-home", ("check_in",))]
    assert admission[0].when == {"day": "2026-11-24", "until": "2026-12-24"}
    assert [p.service for p in plan if "cancel" in p.then] == ["meals"]
    assert [p.when["day"] for p in plan if "no_show" in p.then] == ["2026-11-24"]  # its time has begun
    cleaning = next(p for p in plan if p.service == "cleaning")
    assert cleaning.when == {"day": "2026-11-24", "minutes": 60}
    # what is delivered today is booked for today: the booking service refuses a check-in on another day
    assert all(p.when["day"] == "2026-11-24" for p in plan if "check_in" in p.then)


def test_a_seed_without_the_facilities_the_day_needs_is_named():
    town = {**TOWN, "facilities": [f for f in TOWN["facilities"] if f["facility_id"] != "t-home"]}
    with pytest.raises(StepFailed, match="admission"):
        plan_day(VILLAGE, town, TODAY)
    with pytest.raises(StepFailed, match="too few elders"):
        plan_day({**VILLAGE, "elders": VILLAGE["elders"][:2]}, TOWN, TODAY)


def test_local_today_is_beijings():
    assert local_today(datetime(2026, 11, 23, 17, 40, tzinfo=timezone.utc)) == date(2026, 11, 24)
    assert local_today(datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc)) == date(2026, 11, 23)


def test_tally_counts_states_per_tier_and_delivered_units_by_unit():
    answers = [("village", {"status": "delivered", "units_delivered": 1, "unit": "meals"}),
               ("village", {"status": "delivered", "units_delivered": 60, "unit": "minutes"}),
               ("village", {"status": "delivered", "units_delivered": 1, "unit": "meals"}),
               ("village", {"status": "requested", "waiting": True, "unit": "meals"}),
               ("village", {"status": "no_show", "units_delivered": None, "unit": "meals"}),
               ("town", {"status": "checked_in", "units_delivered": None, "unit": "nights"})]
    tiers = tally(answers)
    assert dict(tiers["village"]["states"]) == {"delivered": 3, "waiting": 1, "no_show": 1}
    assert dict(tiers["village"]["delivered"]) == {"meals": 2, "minutes": 60}
    assert dict(tiers["town"]["states"]) == {"checked_in": 1} and not tiers["town"]["delivered"]


@pytest.mark.parametrize("fen, text", [(0, "0.00"), (5, "0.05"), (12345, "123.45"), (-250, "-2.50"),
                                       (100000001, "1000000.01")])
def test_yuan_is_exact(fen, text):
    assert yuan(fen) == text


def test_statement_line_in_yuan():
    line = statement_line("xinfu (210402)", {"month": "2026-11", "lines": 4, "gross_fen": 11000,
                                             "subsidy_fen": 9900, "copay_fen": 1100, "status": "open"})
    assert "lines  4" in line and "subsidy    99.00" in line and "co-payment   11.00 yuan" in line


def test_alert_history_names_each_step_and_the_time_to_acknowledge():
    alert = {"raised_at": "2026-11-24T01:40:00+00:00", "severity": "critical", "kind": "sos",
             "home_tier": "village", "area_code": "210402003001", "source": "device", "source_ref": "sos-1",
             "reached": "town", "acked_at": "2026-11-24T01:40:07.500000+00:00", "acked_by": "王",
             "acked_tier": "town"}
    lines = alert_history(alert)
    assert len(lines) == 3
    assert "escalated to the town" in lines[1]
    assert lines[2].endswith("after 7.5 s") and "at the town" in lines[2]
    assert seconds_between(alert["raised_at"], alert["acked_at"]) == 7.5
    assert len(alert_history({**alert, "reached": None, "acked_at": None})) == 1


def test_the_policy_is_one_billing_takes_and_its_summary_reads_in_yuan():
    assert POLICY["set_by"] == "2104" and all(isinstance(r["rate_fen"], int) for r in POLICY["services"].values())
    summary = policy_summary(POLICY)
    assert "meals 10.00 yuan a meal" in summary and "cleaning 0.50 yuan a minute" in summary
    assert summary.endswith("co-payment 10%, at most 400.00 yuan a month")


def test_billing_takes_the_demos_policy_file():
    from services.billing.domain.policy_file import parse_policies
    from services.booking.domain.catalogue import unit_of

    (policy,) = parse_policies({"policies": [POLICY]})
    assert (policy.policy_id, policy.set_by, policy.monthly_cap_fen) == ("fushun-home-care", "2104", 40000)
    assert {rate.service: rate.unit for rate in policy.rates} == {
        "bathing": "sessions", "cleaning": "minutes", "day_care": "days", "meals": "meals"}
    # a rate in another unit than the delivery counts would leave every claim not eligible ("unit")
    assert all(rate.unit == unit_of(rate.service) for rate in policy.rates)


def test_a_wait_that_times_out_says_what_it_waited_for_and_the_last_answer():
    def not_yet():
        raise LookupError("no alert a1 at node xinfu-s03")

    with pytest.raises(StepFailed, match=r"for alert a1 to reach the town \(last answer: no alert a1"):
        wait_for("alert a1 to reach the town", not_yet, timeout=0)
    with pytest.raises(StepFailed, match="gave up waiting 0 s for the statement"):
        wait_for("the statement", lambda: None, timeout=0)
    assert wait_for("an answer", lambda: {"lines": 1}) == {"lines": 1}


def test_a_failed_step_is_named_in_the_report(capsys):
    report = Report()
    report.failed("billing", StepFailed("no delivered bookings to price"))
    assert report.failures == ["billing"]
    assert report.lines == ["day: billing FAILED: StepFailed: no delivered bookings to price"]
    assert capsys.readouterr().out == "[demo] day: billing FAILED: StepFailed: no delivered bookings to price\n"
