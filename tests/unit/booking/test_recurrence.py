"""Recurring bookings expand into their occurrences, bounded and deterministic."""
from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.booking.domain.catalogue import When
from services.booking.domain.recurrence import (MAX_OCCURRENCES, WEEKDAYS, WORKDAYS, Series, occurrence_id,
                                                occurrences)

MONDAY = date(2026, 11, 23)


def test_meals_every_weekday():
    found = occurrences(Series("s1", "meals", When(MONDAY), WORKDAYS, date(2026, 12, 6)))
    assert [o.when.day.day for o in found] == [23, 24, 25, 26, 27, 30, 1, 2, 3, 4]
    assert all(o.when == When(o.when.day) for o in found)


def test_bathing_every_tuesday_at_ten():
    first = When(date(2026, 11, 20), start=time(10), minutes=45)
    found = occurrences(Series("s1", "bathing", first, ("tue",), date(2026, 12, 15)))
    assert [o.when for o in found] == [When(date(2026, 11, 24) + timedelta(weeks=n), start=time(10), minutes=45)
                                       for n in range(4)]


def test_respite_every_weekend_keeps_the_length_of_the_stay():
    first = When(date(2026, 11, 27), until=date(2026, 11, 29))  # Friday and Saturday nights
    found = occurrences(Series("s1", "respite_care", first, ("fri",), date(2026, 12, 11)))
    assert [(o.when.day, o.when.until) for o in found] == [
        (date(2026, 11, 27), date(2026, 11, 29)), (date(2026, 12, 4), date(2026, 12, 6)),
        (date(2026, 12, 11), date(2026, 12, 13))]


def test_stays_that_would_overlap_each_other_are_refused():
    first = When(date(2026, 11, 27), until=date(2026, 11, 30))
    with pytest.raises(Rejected) as error:
        occurrences(Series("s1", "respite_care", first, ("fri", "sat"), date(2026, 12, 11)))
    assert error.value.field == "until" and "2026-11-30" in error.value.reason


def test_occurrence_ids_are_derived_from_the_series_and_the_day():
    series = Series("s1", "meals", When(MONDAY), WORKDAYS, date(2026, 12, 31))
    found = occurrences(series)
    assert found == occurrences(series)
    assert len({o.booking_id for o in found}) == len(found) == 29
    assert found[0].booking_id == occurrence_id("s1", MONDAY) != occurrence_id("s2", MONDAY)


@pytest.mark.parametrize("weekdays,last_day,first,field", [
    ((), date(2026, 12, 31), When(MONDAY), "weekdays"),
    (("monday",), date(2026, 12, 31), When(MONDAY), "weekdays"),
    (("sat", "sun"), date(2026, 11, 27), When(MONDAY), "weekdays"),  # none falls in the range
    (WORKDAYS, date(2026, 11, 22), When(MONDAY), "last_day"),
    (WEEKDAYS, date(2027, 11, 24), When(MONDAY), "last_day"),       # 367 days
    (WEEKDAYS, date.max, When(MONDAY), "last_day"),
    (WORKDAYS, date(2026, 12, 31), When(MONDAY, start=time(12)), "start"),
])
def test_invalid_series_are_refused_naming_the_field(weekdays, last_day, first, field):
    with pytest.raises(Rejected) as error:
        occurrences(Series("s1", "meals", first, weekdays, last_day))
    assert error.value.field == field


def test_a_year_of_daily_meals_is_the_most_one_series_makes():
    assert len(occurrences(Series("s1", "meals", When(MONDAY), WEEKDAYS, MONDAY + timedelta(days=365)))) == 366
    with pytest.raises(Rejected) as error:
        occurrences(Series("s1", "meals", When(MONDAY), WEEKDAYS, MONDAY + timedelta(days=366)))
    assert str(MAX_OCCURRENCES) in error.value.reason


@given(first=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
       length=st.integers(min_value=0, max_value=800),
       weekdays=st.sets(st.sampled_from(WEEKDAYS), min_size=1))
def test_occurrences_are_exactly_the_chosen_weekdays_in_the_range(first, length, weekdays):
    last = first + timedelta(days=length)
    expected = [first + timedelta(days=n) for n in range(length + 1)
                if WEEKDAYS[(first + timedelta(days=n)).weekday()] in weekdays]
    series = Series("s1", "day_care", When(first), tuple(weekdays), last)
    if not expected or len(expected) > MAX_OCCURRENCES:
        with pytest.raises(Rejected):
            occurrences(series)
    else:
        assert [o.when.day for o in occurrences(series)] == expected
