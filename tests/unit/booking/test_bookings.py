"""A booking's lifecycle: every legal step, every illegal one refused, and the rules of time."""
from dataclasses import replace
from datetime import date, datetime, time, timezone

import pytest

from shared.aggregate import Rejected
from services.booking.domain import bookings as b
from services.booking.domain.catalogue import When

NOW = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)          # 09:00 on the 23rd in Beijing
ON_THE_DAY = datetime(2026, 11, 24, 1, 30, tzinfo=timezone.utc)  # 09:30 on the 24th in Beijing
BATH = When(date(2026, 11, 24), start=time(10), minutes=45)
REQUEST = b.RequestBooking("b1", "e1", "f1", "210402003", "bathing", BATH, NOW)


def history(*commands, request=REQUEST):
    events = b.booking.run([], request)[1]
    for command in commands:
        events += b.booking.run(events, command)[1]
    return events


STEPS = {  # a command that takes a booking to each status, when the status before allows it
    "confirmed": b.ConfirmBooking("b1", NOW),
    "rejected": b.RejectBooking("b1", "no bathing aide that day", NOW),
    "checked_in": b.CheckIn("b1", ON_THE_DAY),
    "delivered": b.DeliverBooking("b1", 1, ON_THE_DAY),
    "cancelled": b.CancelBooking("b1", "elder", "feeling unwell", NOW),
    "no_show": b.MarkNoShow("b1", datetime(2026, 11, 24, 3, tzinfo=timezone.utc)),
}
PATHS = {  # how to reach each status from a request
    "requested": (),
    "confirmed": ("confirmed",),
    "rejected": ("rejected",),
    "checked_in": ("confirmed", "checked_in"),
    "delivered": ("confirmed", "checked_in", "delivered"),
    "cancelled": ("cancelled",),
    "no_show": ("confirmed", "no_show"),
}
LEGAL = {("requested", "confirmed"), ("requested", "rejected"), ("requested", "cancelled"),
         ("confirmed", "checked_in"), ("confirmed", "cancelled"), ("confirmed", "no_show"),
         ("checked_in", "delivered")}


def reached(status):
    return history(*(STEPS[step] for step in PATHS[status]))


def test_a_request_records_the_booking():
    [event] = history()
    assert event == b.BookingRequested("b1", "e1", "f1", "210402003", "bathing", BATH, None)
    assert b.booking.fold([event]).status == "requested"
    assert b.booking.stream_id("b1") == "booking-b1"


@pytest.mark.parametrize("status", sorted(PATHS))
def test_each_status_is_reached_by_its_events(status):
    assert b.booking.fold(reached(status)).status == status


@pytest.mark.parametrize("before,after", sorted(LEGAL))
def test_legal_steps_record_one_event(before, after):
    state, events = b.booking.run(reached(before), STEPS[after])
    assert len(events) == 1 and state.status == after


@pytest.mark.parametrize("before,after", [(s, t) for s in PATHS for t in STEPS if (s, t) not in LEGAL and s != t])
def test_illegal_steps_are_refused_naming_the_status(before, after):
    with pytest.raises(Rejected) as error:
        b.booking.run(reached(before), STEPS[after])
    assert error.value.field == "status"
    assert error.value.reason == f"the booking is {before}: it cannot become {after}"


@pytest.mark.parametrize("status", sorted(STEPS))
def test_repeating_the_last_step_does_nothing(status):
    assert b.booking.run(reached(status), STEPS[status])[1] == []


def test_a_second_request_with_the_same_id_is_refused():
    with pytest.raises(Rejected) as error:
        b.booking.run(history(), REQUEST)
    assert error.value.field == "booking_id" and "requested" in error.value.reason


@pytest.mark.parametrize("command", list(STEPS.values()))
def test_no_step_before_a_request(command):
    with pytest.raises(Rejected) as error:
        b.booking.run([], command)
    assert error.value.field == "booking_id"


@pytest.mark.parametrize("changes,field", [
    ({"when": When(date(2026, 11, 22), start=time(10), minutes=45)}, "day"),
    ({"service": "meals", "when": When(date(2026, 11, 22))}, "day"),
    ({"when": When(date(2026, 11, 23), start=time(8, 30), minutes=45)}, "start"),
    ({"service": "karaoke"}, "service"),
    ({"service": "admission"}, "until"),
    ({"area_code": "21040200"}, "area_code"),
    ({"area_code": "二一〇四〇二"}, "area_code"),
    ({"at": datetime(2026, 11, 23, 9)}, "at"),
])
def test_invalid_requests_are_refused_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        b.booking.run([], replace(REQUEST, **changes))
    assert error.value.field == field


def test_a_booking_later_today_is_accepted():
    later = replace(REQUEST, when=When(date(2026, 11, 23), start=time(9), minutes=30))
    assert b.booking.run([], later)[0].status == "requested"
    assert b.booking.run([], replace(REQUEST, service="meals", when=When(date(2026, 11, 23))))[0].status == "requested"


def test_reject_and_cancel_record_who_and_why():
    assert history(STEPS["rejected"])[-1] == b.BookingRejected("b1", "no bathing aide that day")
    cancel = b.CancelBooking("b1", "facility", "  water heater broken ", NOW)
    assert history(STEPS["confirmed"], cancel)[-1] == b.BookingCancelled("b1", "facility", "water heater broken")


@pytest.mark.parametrize("command,field", [
    (b.CancelBooking("b1", "neighbour", "moved", NOW), "by"),
    (b.CancelBooking("b1", "elder", "", NOW), "reason"),
    (b.RejectBooking("b1", "   ", NOW), "reason"),
])
def test_a_cancellation_or_rejection_says_who_and_why(command, field):
    with pytest.raises(Rejected) as error:
        b.booking.run(history(), command)
    assert error.value.field == field


@pytest.mark.parametrize("at,allowed", [
    (datetime(2026, 11, 23, 15, 59, tzinfo=timezone.utc), False),  # 23:59 the day before
    (datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc), True),   # 00:30 on the day: early, but the day
    (ON_THE_DAY, True),
    (datetime(2026, 11, 24, 15, 59, tzinfo=timezone.utc), True),
    (datetime(2026, 11, 24, 16, 1, tzinfo=timezone.utc), False),   # the next day: a no-show, not a check-in
])
def test_check_in_is_on_the_day(at, allowed):
    confirmed = history(STEPS["confirmed"])
    if allowed:
        assert b.booking.run(confirmed, b.CheckIn("b1", at))[0].status == "checked_in"
    else:
        with pytest.raises(Rejected) as error:
            b.booking.run(confirmed, b.CheckIn("b1", at))
        assert error.value.field == "day" and "2026-11-24 10:00" in error.value.reason


def test_a_stay_may_be_checked_into_on_any_of_its_nights():
    stay = replace(REQUEST, service="respite_care", when=When(date(2026, 11, 24), until=date(2026, 11, 27)))
    confirmed = history(b.ConfirmBooking("b1", NOW), request=stay)
    third_night = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)
    assert b.booking.run(confirmed, b.CheckIn("b1", third_night))[0].status == "checked_in"
    with pytest.raises(Rejected):
        b.booking.run(confirmed, b.CheckIn("b1", datetime(2026, 11, 27, 2, tzinfo=timezone.utc)))


def test_a_no_show_is_recorded_only_once_the_session_has_started():
    confirmed = history(STEPS["confirmed"])
    with pytest.raises(Rejected) as error:
        b.booking.run(confirmed, b.MarkNoShow("b1", ON_THE_DAY))  # 09:30, the session is at 10:00
    assert error.value.field == "day"
    assert b.booking.run(confirmed, b.MarkNoShow("b1", datetime(2026, 11, 24, 2, tzinfo=timezone.utc)))[1] == [
        b.BookingNoShow("b1")]


def test_a_check_in_says_who_came_in_where_for_what():
    admission = replace(REQUEST, service="admission", when=When(date(2026, 11, 24), until=date(2027, 5, 24)))
    events = history(b.ConfirmBooking("b1", NOW), request=admission)
    _, [checked_in] = b.booking.run(events, b.CheckIn("b1", ON_THE_DAY))
    assert checked_in == b.BookingCheckedIn("b1", "e1", "f1", "210402003", "admission")


def test_delivery_carries_what_billing_needs():
    stay = replace(REQUEST, service="respite_care", when=When(date(2026, 11, 24), until=date(2026, 11, 27)))
    leaving = datetime(2026, 11, 26, 2, tzinfo=timezone.utc)  # left a night early
    events = history(b.ConfirmBooking("b1", NOW), b.CheckIn("b1", ON_THE_DAY), request=stay)
    state, [delivered] = b.booking.run(events, b.DeliverBooking("b1", 2, leaving))
    assert delivered == b.BookingDelivered("b1", "e1", "f1", "210402003", "respite_care", date(2026, 11, 24),
                                           date(2026, 11, 27), 2, "nights", leaving)
    assert state.status == "delivered"


@pytest.mark.parametrize("service,when,units,unit", [
    ("meals", When(date(2026, 11, 24)), 1, "meals"),
    ("day_care", When(date(2026, 11, 24)), 1, "days"),
    ("bathing", BATH, 1, "sessions"),
    ("housekeeping", When(date(2026, 11, 24), minutes=120), 90, "minutes"),
])
def test_delivered_units_are_counted_in_the_unit_of_the_service(service, when, units, unit):
    events = history(STEPS["confirmed"], STEPS["checked_in"], request=replace(REQUEST, service=service, when=when))
    [delivered] = b.booking.run(events, b.DeliverBooking("b1", units, ON_THE_DAY))[1]
    assert (delivered.units, delivered.unit, delivered.service_date, delivered.until) == (
        units, unit, date(2026, 11, 24), None)


@pytest.mark.parametrize("units", [0, -1, 2, True, 1.0])
def test_delivered_units_are_whole_and_no_more_than_booked(units):
    checked_in = history(STEPS["confirmed"], STEPS["checked_in"])
    with pytest.raises(Rejected) as error:
        b.booking.run(checked_in, b.DeliverBooking("b1", units, ON_THE_DAY))
    assert error.value.field == "units" and "1 to 1 sessions" in error.value.reason


def test_an_unknown_command_is_a_bug():
    with pytest.raises(TypeError):
        b.booking.run(history(), object())
