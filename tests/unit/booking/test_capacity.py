"""A facility's capacity: reserve, wait, release, promote; capacity changes; suspension and closure."""
from datetime import date, datetime, time, timedelta, timezone

import pytest

from shared.aggregate import Rejected
from services.booking.domain import capacity_messages as m
from services.booking.domain.capacity import Pool, capacity, capacity_id
from services.booking.domain.catalogue import When
from services.booking.domain.ledger import Claim

NOW = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)  # 09:00 on the 23rd in Beijing
DAY = date(2026, 11, 24)


def night(n):
    return DAY + timedelta(days=n)


def stay(first, last):
    return When(night(first), until=night(last + 1))


class Facility:
    """One pool's stream, driven command by command as the service layer will."""

    def __init__(self, pool="beds", units=1, **schedule):
        self.history = []
        self.last = self.do(m.SetCapacity("f1", pool, units, NOW, **schedule))

    def do(self, command):
        state, events = capacity.run(self.history, command)
        self.history += events
        self.state, self.last = state, events
        return events

    def reserve(self, booking_id, service, when, elder_id=None, **options):
        return self.do(m.Reserve("f1", booking_id, elder_id or f"e-{booking_id}", service, when, NOW, **options))

    def release(self, booking_id, service="admission", at=NOW):
        return self.do(m.Release("f1", service, booking_id, at))

    def refused(self, command):
        with pytest.raises(Rejected) as error:
            capacity.run(self.history, command)
        return error.value


def ids(events, kind):
    return [e.claim.booking_id if hasattr(e, "claim") else e.booking_id for e in events if isinstance(e, kind)]


def test_the_stream_is_one_per_facility_and_pool():
    assert capacity.stream_id(capacity_id("f1", "beds")) == "capacity-f1:beds"
    assert Facility(units=3).last == [m.CapacitySet("f1", "beds", 3, (), 0)]


def test_a_request_that_fits_is_reserved_and_one_that_does_not_waits():
    beds = Facility(units=1)
    assert beds.reserve("b1", "respite_care", stay(0, 2)) == [
        m.UnitsReserved("f1", Claim("b1", "e-b1", "respite_care", stay(0, 2)))]
    assert ids(beds.reserve("b2", "admission", stay(2, 5)), m.RequestWaitlisted) == ["b2"]
    assert ids(beds.reserve("b3", "trial_stay", stay(3, 3)), m.UnitsReserved) == ["b3"]  # the 3rd night is free
    assert [c.booking_id for c in beds.state.reserved] == ["b1", "b3"]
    assert [c.booking_id for c in beds.state.waiting] == ["b2"]


def test_all_bed_services_share_the_facility_beds():
    beds = Facility(units=1)
    beds.reserve("b1", "full_time_care", stay(0, 0))
    assert ids(beds.reserve("b2", "respite_care", stay(0, 0)), m.RequestWaitlisted) == ["b2"]


def test_a_request_that_will_not_wait_is_refused_when_full():
    beds = Facility(units=1)
    beds.reserve("b1", "admission", stay(0, 0))
    error = beds.refused(m.Reserve("f1", "b2", "e2", "admission", stay(0, 0), NOW, wait=False))
    assert error.field == "day" and "beds is full" in error.reason


def test_reserving_again_does_nothing():
    beds = Facility(units=2)
    beds.reserve("b1", "admission", stay(0, 0))
    assert beds.reserve("b1", "admission", stay(0, 0)) == []
    assert len(beds.state.reserved) == 1


def test_release_promotes_the_first_waiting_request_that_now_fits():
    beds = Facility(units=1)
    beds.reserve("b1", "admission", stay(0, 2))
    beds.reserve("b2", "admission", stay(0, 8))   # waits, and will not fit: b6 takes its last night
    beds.reserve("b3", "admission", stay(1, 1))
    beds.reserve("b4", "admission", stay(2, 2))
    beds.reserve("b5", "admission", stay(1, 2))   # fits too, but b3 and b4 came first
    beds.reserve("b6", "admission", stay(8, 8))   # fits at once
    events = beds.release("b1")
    assert events[0] == m.UnitsReleased("f1", "b1")
    assert ids(events, m.WaitlistPromoted) == ["b3", "b4"]
    assert [c.booking_id for c in beds.state.waiting] == ["b2", "b5"]
    assert [c.booking_id for c in beds.state.reserved] == ["b6", "b3", "b4"]


def test_releasing_a_waiting_request_takes_it_off_the_list():
    beds = Facility(units=1)
    beds.reserve("b1", "admission", stay(0, 0))
    beds.reserve("b2", "admission", stay(0, 0))
    assert beds.release("b2") == [m.WaitlistLeft("f1", "b2", "released")]
    assert beds.release("b1") == [m.UnitsReleased("f1", "b1")]  # nobody left to promote
    assert beds.release("b1") == [] and beds.release("b2") == []


def test_releasing_an_unknown_booking_is_refused():
    error = Facility().refused(m.Release("f1", "admission", "nobody", NOW))
    assert error.field == "booking_id"


def test_a_waiting_request_whose_time_has_passed_leaves_rather_than_being_promoted():
    meals = Facility("meals", units=1)
    meals.reserve("b1", "meals", When(date(2026, 11, 23)))
    meals.reserve("b2", "meals", When(date(2026, 11, 23)))
    meals.reserve("b3", "meals", When(DAY))
    meals.reserve("b4", "meals", When(DAY))
    events = meals.do(m.Release("f1", "meals", "b1", datetime(2026, 11, 23, 17, tzinfo=timezone.utc)))
    assert events == [m.UnitsReleased("f1", "b1"), m.WaitlistLeft("f1", "b2", "expired")]
    assert ids(meals.release("b3", "meals"), m.WaitlistPromoted) == ["b4"]


def test_the_clock_expires_waiting_requests_whose_time_has_passed_and_no_others():
    baths = Facility("bathing", units=1, slots=(time(9), time(15)), slot_minutes=45)
    for booking_id, start in (("b1", 9), ("b2", 9), ("b3", 15), ("b4", 15)):
        baths.reserve(booking_id, "bathing", When(DAY, start=time(start), minutes=45))
    assert ids(baths.history, m.RequestWaitlisted) == ["b2", "b4"]

    def expire(local_hour):  # the clock's time arrives on the command: Beijing is UTC+8
        return baths.do(m.ExpireWaiting("f1", "bathing", datetime.combine(DAY, time(local_hour - 8), timezone.utc)))

    assert expire(9) == []  # 09:00 is not past the 09:00 session yet
    assert expire(10) == [m.WaitlistLeft("f1", "b2", "expired")]
    assert expire(11) == []  # gone once: the same tick again does nothing
    assert expire(16) == [m.WaitlistLeft("f1", "b4", "expired")]
    assert [c.booking_id for c in baths.state.reserved] == ["b1", "b3"]  # reservations are history, not expired


@pytest.mark.parametrize("stop", [m.SuspendCapacity("f1", "meals", "inspection", NOW),
                                  m.CloseCapacity("f1", "meals", "merged", NOW)])
def test_waiting_requests_expire_at_a_facility_that_stopped_taking_bookings(stop):
    meals = Facility("meals", units=1)
    meals.reserve("b1", "meals", When(DAY))
    meals.reserve("b2", "meals", When(DAY))
    meals.do(stop)
    assert meals.do(m.ExpireWaiting("f1", "meals", NOW + timedelta(days=2))) == [m.WaitlistLeft("f1", "b2", "expired")]


def test_carers_time_is_counted_in_minutes_a_day():
    carers = Facility("carers", units=120)
    carers.reserve("b1", "cleaning", When(DAY, minutes=90))
    assert ids(carers.reserve("b2", "shopping", When(DAY, minutes=60)), m.RequestWaitlisted) == ["b2"]
    assert ids(carers.reserve("b3", "home_visits", When(DAY, start=time(14), minutes=30)), m.UnitsReserved) == ["b3"]
    assert ids(carers.reserve("b4", "cleaning", When(night(1), minutes=120)), m.UnitsReserved) == ["b4"]
    assert ids(carers.release("b1", "cleaning"), m.WaitlistPromoted) == ["b2"]


def test_an_elder_may_book_two_carer_visits_a_day_but_not_one_bed_twice():
    carers = Facility("carers", units=240)
    carers.reserve("b1", "cleaning", When(DAY, minutes=60), elder_id="e1")
    assert ids(carers.reserve("b2", "shopping", When(DAY, minutes=60), elder_id="e1"), m.UnitsReserved) == ["b2"]
    beds = Facility(units=5)
    beds.reserve("b1", "respite_care", stay(0, 2), elder_id="e1")
    error = beds.refused(m.Reserve("f1", "b2", "e1", "admission", stay(2, 4), NOW))
    assert error.field == "elder_id" and "b1" in error.reason


def bathing(units=1):
    return Facility("bathing", units=units, slots=(time(10), time(9)), slot_minutes=45)


def test_slots_are_counted_per_start_time():
    baths = bathing()
    assert baths.state.slots == (time(9), time(10))
    baths.reserve("b1", "bathing", When(DAY, start=time(10), minutes=45))
    assert ids(baths.reserve("b2", "bathing", When(DAY, start=time(9), minutes=45)), m.UnitsReserved) == ["b2"]
    assert ids(baths.reserve("b3", "bathing", When(DAY, start=time(10), minutes=45)), m.RequestWaitlisted) == ["b3"]


@pytest.mark.parametrize("service,when,field", [
    ("bathing", When(DAY, start=time(11), minutes=45), "start"),
    ("bathing", When(DAY, start=time(10), minutes=30), "minutes"),
    ("bathing", When(date(2026, 11, 22), start=time(10), minutes=45), "day"),
    ("bathing", When(DAY), "start"),
    ("medical", When(DAY, start=time(10), minutes=45), "service"),
])
def test_a_request_the_pool_cannot_take_is_refused_naming_the_field(service, when, field):
    assert bathing().refused(m.Reserve("f1", "b1", "e1", service, when, NOW)).field == field


@pytest.mark.parametrize("pool,units,service,when,field", [
    ("carers", 60, "cleaning", When(DAY, minutes=90), "minutes"),   # would wait for ever
    ("beds", 0, "admission", stay(0, 0), "service"),
])
def test_a_request_larger_than_the_whole_capacity_is_refused(pool, units, service, when, field):
    error = Facility(pool, units).refused(m.Reserve("f1", "b1", "e1", service, when, NOW))
    assert error.field == field and f"({units} " in error.reason


@pytest.mark.parametrize("command", [m.Reserve("f1", "b1", "e1", "meals", When(DAY), NOW),
                                     m.Release("f1", "meals", "b1", NOW), m.SuspendCapacity("f1", "meals", "x", NOW)])
def test_a_pool_whose_capacity_was_never_set_takes_nothing(command):
    with pytest.raises(Rejected) as error:
        capacity.run([], command)
    assert error.value.field == "service"


@pytest.mark.parametrize("command,field", [
    (m.SetCapacity("f1", "beds", -1, NOW), "units"),
    (m.SetCapacity("f1", "beds", True, NOW), "units"),
    (m.SetCapacity("f1", "beds", 5, NOW, slots=(time(10),), slot_minutes=30), "slots"),
    (m.SetCapacity("f1", "bathing", 5, NOW), "slots"),
    (m.SetCapacity("f1", "bathing", 5, NOW, slots=(time(10),)), "slot_minutes"),
    (m.SetCapacity("f1", "bathing", 5, NOW, slots=(time(23, 30),), slot_minutes=45), "slots"),
    (m.SetCapacity("f1", "karaoke", 5, NOW), "pool"),
])
def test_invalid_capacity_is_refused_naming_the_field(command, field):
    with pytest.raises(Rejected) as error:
        capacity.run([], command)
    assert error.value.field == field


def test_setting_the_same_capacity_does_nothing_and_another_pool_is_refused():
    beds = Facility(units=2)
    assert beds.do(m.SetCapacity("f1", "beds", 2, NOW)) == []
    assert beds.refused(m.SetCapacity("f1", "meals", 2, NOW)).field == "pool"


def test_more_capacity_promotes_waiting_requests_in_order():
    beds = Facility(units=1)
    for n in range(1, 5):
        beds.reserve(f"b{n}", "admission", stay(0, 1))
    events = beds.do(m.SetCapacity("f1", "beds", 3, NOW))
    assert ids(events, m.WaitlistPromoted) == ["b2", "b3"]
    assert [c.booking_id for c in beds.state.waiting] == ["b4"]


def test_less_capacity_withdraws_the_newest_reservations_that_no_longer_fit():
    beds = Facility(units=3)
    beds.reserve("b1", "admission", stay(0, 1))
    beds.reserve("b2", "admission", stay(0, 0))
    beds.reserve("b3", "admission", stay(5, 6))   # newest, but not on a night over capacity
    beds.reserve("b4", "admission", stay(1, 1))
    events = beds.do(m.SetCapacity("f1", "beds", 1, NOW))
    assert ids(events, m.ReservationWithdrawn) == ["b4", "b2"]
    assert events[1].reason == "beds capacity reduced"
    assert [c.booking_id for c in beds.state.reserved] == ["b1", "b3"]


def test_less_capacity_leaves_past_nights_alone():
    beds = Facility(units=2)
    beds.reserve("b1", "admission", stay(0, 0))
    beds.reserve("b2", "admission", stay(0, 0))
    a_week_later = NOW + timedelta(days=7)
    assert ids(beds.do(m.SetCapacity("f1", "beds", 1, a_week_later)), m.ReservationWithdrawn) == []


def test_a_session_taken_off_the_schedule_withdraws_its_reservations():
    baths = bathing(units=2)
    baths.reserve("b1", "bathing", When(DAY, start=time(9), minutes=45))
    baths.reserve("b2", "bathing", When(DAY, start=time(10), minutes=45))
    events = baths.do(m.SetCapacity("f1", "bathing", 2, NOW, slots=(time(10),), slot_minutes=45))
    assert ids(events, m.ReservationWithdrawn) == ["b1"]


def test_a_suspended_facility_takes_no_new_bookings_and_flags_its_open_ones():
    beds = Facility(units=1)
    beds.reserve("b0", "admission", When(date(2026, 11, 23), until=DAY))  # tonight only
    beds.reserve("b1", "admission", stay(0, 1))
    beds.reserve("b2", "admission", stay(0, 0))
    later = NOW + timedelta(days=1)  # the 24th: b0 is over
    [suspended] = beds.do(m.SuspendCapacity("f1", "beds", " fire inspection ", later))
    assert suspended == m.CapacitySuspended("f1", "beds", "fire inspection", ("b1", "b2"))
    assert beds.refused(m.Reserve("f1", "b3", "e3", "admission", stay(3, 3), later)).field == "facility_id"
    assert beds.do(m.SuspendCapacity("f1", "beds", "again", later)) == []
    assert beds.release("b1", at=later) == [m.UnitsReleased("f1", "b1")]  # no promotion while suspended
    assert ids(beds.do(m.ReopenCapacity("f1", "beds", later)), m.WaitlistPromoted) == ["b2"]
    assert beds.do(m.ReopenCapacity("f1", "beds", later)) == []


def test_a_closed_facility_flags_its_open_bookings_and_takes_nothing_more():
    beds = Facility(units=1)
    beds.reserve("b1", "admission", stay(0, 1))
    beds.reserve("b2", "admission", stay(0, 0))
    assert beds.do(m.CloseCapacity("f1", "beds", "merged", NOW)) == [
        m.CapacityClosed("f1", "beds", "merged", ("b1", "b2"))]
    assert beds.do(m.CloseCapacity("f1", "beds", "merged", NOW)) == []
    for command in (m.SetCapacity("f1", "beds", 5, NOW), m.SuspendCapacity("f1", "beds", "x", NOW),
                    m.ReopenCapacity("f1", "beds", NOW), m.Reserve("f1", "b3", "e3", "admission", stay(4, 4), NOW)):
        assert beds.refused(command).field == "facility_id"
    assert beds.release("b1") == [m.UnitsReleased("f1", "b1")]
    assert beds.release("b2") == [m.WaitlistLeft("f1", "b2", "released")]


@pytest.mark.parametrize("command", [m.SuspendCapacity("f1", "beds", "", NOW), m.CloseCapacity("f1", "beds", " ", NOW)])
def test_suspending_or_closing_says_why(command):
    assert Facility().refused(command).field == "reason"


def test_an_unknown_command_is_a_bug():
    with pytest.raises(TypeError):
        capacity.run(Facility().history, object())
    assert capacity.fold([object()]) == Pool()
