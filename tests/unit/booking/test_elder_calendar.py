"""An elder's calendar: no two bookings that exclude each other (one bed a night, one place at a time)."""
from datetime import date, datetime, time, timezone

import pytest

from shared.aggregate import Rejected
from services.booking.domain.catalogue import When
from services.booking.domain.elder_calendar import (Calendar, FreeTime, Held, HoldTime, TimeFreed, TimeHeld,
                                                    calendar, clash)

NOW = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)
DAY = date(2026, 11, 24)
RESPITE = Held("b1", "f1", "respite_care", When(DAY, until=date(2026, 11, 27)))
BATH = Held("b2", "f2", "bathing", When(DAY, start=time(10), minutes=60))


def holding(*held):
    events = []
    for one in held:
        events += calendar.run(events, HoldTime("e1", one, NOW))[1]
    return events


def test_holding_time_records_it():
    assert holding(RESPITE, BATH) == [TimeHeld("e1", RESPITE), TimeHeld("e1", BATH)]
    assert calendar.fold(holding(RESPITE, BATH)).held == (RESPITE, BATH)
    assert calendar.stream_id("e1") == "calendar-e1"


@pytest.mark.parametrize("wanted", [
    Held("b3", "f3", "admission", When(date(2026, 11, 26), until=date(2026, 12, 26))),
    Held("b3", "f3", "medical", When(DAY, start=time(10, 30), minutes=30)),
    Held("b3", "f3", "home_visits", When(DAY, start=time(9, 30), minutes=31)),
])
def test_a_booking_that_excludes_one_held_is_refused_naming_it(wanted):
    with pytest.raises(Rejected) as error:
        calendar.run(holding(RESPITE, BATH), HoldTime("e1", wanted, NOW))
    other = RESPITE if wanted.service == "admission" else BATH
    assert error.value.field == "day" and f"(booking {other.booking_id})" in error.value.reason


@pytest.mark.parametrize("wanted", [
    Held("b3", "f3", "admission", When(date(2026, 11, 27), until=date(2026, 12, 26))),  # the day the stay ends
    Held("b3", "f3", "medical", When(DAY, start=time(11), minutes=30)),
    Held("b3", "f3", "meals", When(DAY)),
    Held("b3", "f3", "cleaning", When(DAY, minutes=60)),
])
def test_a_booking_that_excludes_none_is_held(wanted):
    assert calendar.run(holding(RESPITE, BATH), HoldTime("e1", wanted, NOW))[1] == [TimeHeld("e1", wanted)]


def test_holding_again_does_nothing_and_freed_time_can_be_held_again():
    events = holding(RESPITE)
    assert calendar.run(events, HoldTime("e1", RESPITE, NOW))[1] == []
    state, freed = calendar.run(events, FreeTime("e1", "b1", NOW))
    assert freed == [TimeFreed("e1", "b1")] and state == Calendar()
    other = Held("b3", "f3", "admission", RESPITE.when)
    assert calendar.run(events + freed, HoldTime("e1", other, NOW))[1] == [TimeHeld("e1", other)]
    assert calendar.run(events + freed, FreeTime("e1", "b1", NOW))[1] == []


def test_an_invalid_booking_is_refused_before_it_is_compared():
    with pytest.raises(Rejected) as error:
        calendar.run([], HoldTime("e1", Held("b3", "f3", "admission", When(DAY)), NOW))
    assert error.value.field == "until"


def test_clash_is_a_plain_function_over_held_bookings():
    assert clash([RESPITE, BATH], "trial_stay", When(date(2026, 11, 25), until=date(2026, 11, 26))) == RESPITE
    assert clash([RESPITE, BATH], "trial_stay", When(date(2026, 11, 27), until=date(2026, 11, 28))) is None
    assert clash([], "meals", When(DAY)) is None


def test_an_unknown_command_is_a_bug():
    with pytest.raises(TypeError):
        calendar.run([], object())
