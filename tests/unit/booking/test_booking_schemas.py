"""The booking service's schemas: every event type round-trips through its payload unchanged and is
checked like a received one; API bodies refuse bad input naming each field."""
import uuid
from datetime import date, datetime, time, timezone

import pytest

from shared.events import Event
from shared.schemas import PayloadError, load
from services.booking import bodies
from services.booking.domain import bookings as b, capacity_messages as m, elder_calendar as c
from services.booking.domain.catalogue import When
from services.booking.domain.ledger import Claim
from services.booking.schemas import EVENT_SCHEMAS, booking_events

BOOKING, ELDER, FACILITY = (str(uuid.uuid4()) for _ in range(3))
BATH = When(date(2026, 11, 24), start=time(10), minutes=45)
STAY = When(date(2026, 11, 24), until=date(2026, 11, 27))
CLAIM = Claim(BOOKING, ELDER, "bathing", BATH)
EXAMPLES = [
    b.BookingRequested(BOOKING, ELDER, FACILITY, "210402003", "respite_care", STAY, str(uuid.uuid4())),
    b.BookingConfirmed(BOOKING), b.BookingRejected(BOOKING, "beds is full"),
    b.BookingCheckedIn(BOOKING, ELDER, FACILITY, "210402003", "admission"),
    b.BookingDelivered(BOOKING, ELDER, FACILITY, "210402003001", "respite_care", STAY.day, STAY.until, 3, "nights",
                       datetime(2026, 11, 27, 2, tzinfo=timezone.utc)),
    b.BookingCancelled(BOOKING, "facility", "beds capacity reduced"), b.BookingNoShow(BOOKING),
    m.CapacitySet(FACILITY, "bathing", 2, (time(9), time(10, 30)), 45), m.UnitsReserved(FACILITY, CLAIM),
    m.RequestWaitlisted(FACILITY, CLAIM), m.WaitlistPromoted(FACILITY, CLAIM), m.UnitsReleased(FACILITY, BOOKING),
    m.WaitlistLeft(FACILITY, BOOKING, "expired"), m.ReservationWithdrawn(FACILITY, BOOKING, "beds capacity reduced"),
    m.CapacitySuspended(FACILITY, "beds", "fire inspection", (BOOKING,)), m.CapacityReopened(FACILITY, "beds"),
    m.CapacityClosed(FACILITY, "beds", "merged", ()),
    c.TimeHeld(ELDER, c.Held(BOOKING, FACILITY, "bathing", BATH)), c.TimeFreed(ELDER, BOOKING),
]


def test_every_event_type_has_an_example():
    assert {type(e) for e in EXAMPLES} == {schema.make for schema in EVENT_SCHEMAS}
    assert all(t.startswith("eldernet.booking.") for t in booking_events().types)


@pytest.mark.parametrize("domain_event", EXAMPLES, ids=lambda e: type(e).__name__)
def test_an_event_round_trips_through_its_payload(domain_event):
    events = booking_events()
    type_, data, version = events.serialize(domain_event)
    received = Event.from_json(Event(type=type_, source="/eldernet/xinfu/booking", subject="s", data=data,
                                     stream_id="s", stream_version=1, origin_node="xinfu",
                                     area_code="210402003", schema_version=version).to_json())
    assert events.to_domain(events.validate(received)) == domain_event


def test_a_check_in_recorded_before_it_said_who_and_where_still_loads():
    events = booking_events()
    old = Event(type="eldernet.booking.BookingCheckedIn", source="x", subject="s", data={"booking_id": BOOKING},
                stream_id="s", stream_version=3, origin_node="n", area_code="210402003")
    assert events.to_domain(events.validate(old)) == b.BookingCheckedIn(BOOKING)


def test_a_received_payload_is_checked_naming_the_field():
    events = booking_events()
    type_, data, _ = events.serialize(m.UnitsReserved(FACILITY, CLAIM))
    data["claim"]["when"]["start"] = "ten o'clock"
    data["claim"]["booking_id"] = "B-1"
    with pytest.raises(PayloadError) as error:
        events.validate(Event(type=type_, source="x", subject="s", data=data, stream_id="s", stream_version=1,
                              origin_node="n", area_code="2104"))
    assert set(error.value.fields) == {"data.claim.when.start", "data.claim.booking_id"}


def test_a_request_body_loads_into_the_domains_values():
    body = load(bodies.RequestBody(), {"elder_id": ELDER, "facility_id": FACILITY, "service": "bathing",
                                       "when": {"day": "2026-11-24", "start": "10:00", "minutes": 45}})
    assert body["when"] == BATH and body["wait"] is True and body["booking_id"] is None


@pytest.mark.parametrize("schema, payload, fields", [
    (bodies.RequestBody, {"elder_id": "110101194001010011", "facility_id": FACILITY.upper(), "service": "spa",
                          "when": {"day": "2026-02-30", "minutes": -5}},
     {"elder_id", "facility_id", "service", "when.day", "when.minutes"}),
    (bodies.RequestBody, {}, {"elder_id", "facility_id", "service", "when"}),
    (bodies.CancelBody, {"by": "neighbour", "reason": ""}, {"by", "reason"}),
    (bodies.DeliverBody, {"units": 1.5}, {"units"}),
    (bodies.DeliverBody, {"units": 0}, {"units"}),
    (bodies.CapacityBody, {"pool": "spa", "units": True, "slots": ["25:00"]}, {"pool", "units", "slots.0"}),
    (bodies.ScheduleQuery, {"from": "2026-11-24", "to": "2026-11-23"}, {"to"}),
    (bodies.ScheduleQuery, {"from": "2026-01-01", "to": "2026-12-31"}, {"to"}),
    (bodies.BookingQuery, {"status": "lost", "area_code": "21040"}, {"status", "area_code"}),
])
def test_bad_bodies_and_queries_name_each_field(schema, payload, fields):
    with pytest.raises(PayloadError) as error:
        load(schema(), payload)
    assert set(error.value.fields) == fields


def test_a_booking_row_is_shown_with_its_when_in_local_terms():
    row = {"booking_id": BOOKING, "when": {"day": date(2026, 11, 24), "until": None, "start": "10:00", "minutes": 45},
           "status": "confirmed", "waiting": False, "requested_at": datetime(2026, 11, 23, tzinfo=timezone.utc)}
    shown = bodies.BookingOut().dump(row)
    assert shown["when"] == {"day": "2026-11-24", "until": None, "start": "10:00", "minutes": 45}
    assert shown["requested_at"].startswith("2026-11-23T00:00:00")
