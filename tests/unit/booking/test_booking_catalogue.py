"""The catalogue: each service's kind of capacity, the pool it draws on, what a booking of it says
about when, and which bookings one elder cannot hold together."""
from datetime import date, datetime, time, timezone

import pytest

from shared.aggregate import Rejected
from services.booking.domain import catalogue as c
from services.booking.domain.catalogue import When
from services.billing.domain import policies
from services.registry.domain import facilities

DAY = date(2026, 11, 24)


def test_the_catalogue_offers_every_service_of_the_registry_and_home_risk_assessment():
    assert set(c.SERVICES) - set(facilities.SERVICES) == {"home_risk_assessment"}
    assert set(facilities.SERVICES) <= set(c.SERVICES)
    assert set(c.KIND) == set(c.SERVICES) and len(c.SERVICES) == 18
    assert set(c.KIND.values()) == set(c.CAPACITY_KINDS)


@pytest.mark.parametrize("service,kind,pool,unit", [
    ("meals", "daily_place", "meals", "meals"),
    ("day_care", "daily_place", "day_care", "days"),
    ("bathing", "slot", "bathing", "sessions"),
    ("health_consultation", "slot", "health_consultation", "sessions"),
    ("full_time_care", "bed_period", "beds", "nights"),
    ("respite_care", "bed_period", "beds", "nights"),
    ("trial_stay", "bed_period", "beds", "nights"),
    ("admission", "bed_period", "beds", "nights"),
    ("housekeeping", "carer_time", "carers", "minutes"),
    ("shopping", "carer_time", "carers", "minutes"),
    ("home_risk_assessment", "carer_time", "carers", "minutes"),
    ("emergency", "carer_time", "emergency", "minutes"),
])
def test_each_service_has_a_kind_of_capacity_a_pool_and_a_unit(service, kind, pool, unit):
    assert (c.check_service(service), c.pool_of(service), c.unit_of(service)) == (kind, pool, unit)
    assert c.kind_of_pool(pool) == kind


def test_deliveries_count_in_units_billing_prices():
    assert {c.unit_of(service) for service in c.SERVICES} <= set(policies.UNITS)


def test_unknown_services_and_pools_are_refused_naming_the_field():
    with pytest.raises(Rejected) as error:
        c.pool_of("karaoke")
    assert error.value.field == "service"
    with pytest.raises(Rejected) as error:
        c.kind_of_pool("karaoke")
    assert error.value.field == "pool" and "beds" in error.value.reason


@pytest.mark.parametrize("service,when", [
    ("bathing", When(DAY, start=time(10), minutes=45)),
    ("meals", When(DAY)),
    ("respite_care", When(DAY, until=date(2026, 11, 27))),
    ("housekeeping", When(DAY, minutes=120)),
    ("home_visits", When(DAY, start=time(14), minutes=60)),
    ("home_visits", When(DAY, minutes=24 * 60)),  # a live-in carer's day
    ("bathing", When(DAY, start=time(23), minutes=60)),
])
def test_a_when_that_fits_its_kind_is_accepted(service, when):
    assert c.check_when(service, when) is None


@pytest.mark.parametrize("service,when,field", [
    ("bathing", When(DAY, minutes=45), "start"),
    ("bathing", When(DAY, start=time(10)), "minutes"),
    ("bathing", When(DAY, start=time(10), minutes=-5), "minutes"),
    ("bathing", When(DAY, start=time(23, 30), minutes=60), "minutes"),
    ("bathing", When(DAY, until=date(2026, 11, 25), start=time(10), minutes=45), "until"),
    ("meals", When(DAY, start=time(12)), "start"),
    ("meals", When(DAY, minutes=30), "minutes"),
    ("admission", When(DAY), "until"),
    ("admission", When(DAY, until=DAY), "until"),
    ("admission", When(DAY, until=date(2026, 11, 20)), "until"),
    ("admission", When(DAY, until=date(2027, 11, 26)), "until"),
    ("admission", When(DAY, until=date(2026, 12, 1), start=time(9)), "start"),
    ("housekeeping", When(DAY), "minutes"),
    ("housekeeping", When(DAY, minutes=-30), "minutes"),
    ("housekeeping", When(DAY, minutes=1.5), "minutes"),
    ("housekeeping", When(DAY, minutes=24 * 60 + 1), "minutes"),
    ("karaoke", When(DAY), "service"),
])
def test_a_when_that_does_not_fit_its_kind_is_refused_naming_the_field(service, when, field):
    with pytest.raises(Rejected) as error:
        c.check_when(service, when)
    assert error.value.field == field


def test_booked_units_are_sessions_places_nights_or_minutes():
    assert c.booked_units("bathing", When(DAY, start=time(10), minutes=45)) == 1
    assert c.booked_units("meals", When(DAY)) == 1
    assert c.booked_units("admission", When(DAY, until=date(2026, 12, 24))) == 30
    assert c.booked_units("cleaning", When(DAY, minutes=90)) == 90
    assert c.nights(When(DAY, until=date(2026, 11, 26))) == (DAY, date(2026, 11, 25))
    assert c.last_day(When(DAY, until=date(2026, 11, 26))) == date(2026, 11, 25)


def test_the_past_is_judged_in_beijing_time_not_utc():
    late_evening_utc = datetime(2026, 11, 23, 17, tzinfo=timezone.utc)  # already the 24th, 01:00, in Beijing
    assert c.is_past(When(date(2026, 11, 23)), late_evening_utc)
    assert not c.is_past(When(DAY), late_evening_utc)
    with pytest.raises(Rejected) as error:
        c.check_not_past(When(date(2026, 11, 23)), late_evening_utc)
    assert error.value.field == "day" and "2026-11-23" in error.value.reason


def test_a_session_may_be_booked_on_its_day_until_it_starts():
    nine_local = datetime(2026, 11, 24, 1, tzinfo=timezone.utc)
    assert not c.is_past(When(DAY, start=time(9), minutes=30), nine_local)
    assert c.is_past(When(DAY, start=time(8, 59), minutes=30), nine_local)
    with pytest.raises(Rejected) as error:
        c.check_not_past(When(DAY, start=time(8, 30), minutes=30), nine_local)
    assert error.value.field == "start" and "2026-11-24 08:30" in error.value.reason
    assert c.has_begun(When(DAY, start=time(9), minutes=30), nine_local)
    assert not c.has_begun(When(DAY, start=time(9, 1), minutes=30), nine_local)


def test_a_naive_time_is_refused():
    with pytest.raises(Rejected) as error:
        c.is_past(When(DAY), datetime(2026, 11, 24, 9))
    assert error.value.field == "at"


def test_a_reason_must_say_something():
    assert c.check_reason("  flooded  ") == "flooded"
    with pytest.raises(Rejected) as error:
        c.check_reason(" ")
    assert error.value.field == "reason"


STAY = ("respite_care", When(DAY, until=date(2026, 11, 27)))   # nights of the 24th, 25th, 26th
BATH = ("bathing", When(DAY, start=time(10), minutes=60))


@pytest.mark.parametrize("one,other,exclusive", [
    (STAY, ("admission", When(date(2026, 11, 26), until=date(2026, 12, 1))), True),   # both want the 26th
    (STAY, ("admission", When(date(2026, 11, 27), until=date(2026, 12, 1))), False),  # leaves, then admitted
    (STAY, ("trial_stay", When(date(2026, 11, 20), until=DAY)), False),
    (STAY, ("meals", When(DAY)), False),
    (STAY, BATH, False),
    (BATH, ("medical", When(DAY, start=time(10, 30), minutes=30)), True),
    (BATH, ("medical", When(DAY, start=time(11), minutes=30)), False),
    (BATH, ("medical", When(DAY, start=time(9), minutes=60)), False),
    (BATH, ("medical", When(date(2026, 11, 25), start=time(10), minutes=30)), False),
    (BATH, ("home_visits", When(DAY, start=time(9, 30), minutes=45)), True),
    (BATH, ("home_visits", When(DAY, minutes=45)), False),  # a visit without a time fits around it
    (("meals", When(DAY)), ("meals", When(DAY)), True),
    (("meals", When(DAY)), ("meals", When(date(2026, 11, 25))), False),
    (("meals", When(DAY)), ("day_care", When(DAY)), False),
    (("day_care", When(DAY)), ("day_care", When(DAY)), True),
    (("cleaning", When(DAY, minutes=60)), ("shopping", When(DAY, minutes=60)), False),
])
def test_which_bookings_exclude_each_other(one, other, exclusive):
    assert c.excludes(*one, *other) is exclusive
    assert c.excludes(*other, *one) is exclusive
