"""The booking service on the real broker and database, fed by the registry's real events: capacity
follows the facility; requests confirm until full, then wait; a cancellation promotes the first
waiting; refusals about how things stand are recorded, bad input is refused and stores nothing."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from shared.aggregate import Rejected
from shared.dependencies import UnitOfWorkFactory
from shared.http_api import NotFound
from shared.schemas import PayloadError
from services.booking import flow, handlers
from tests.integration.booking.builders import call, days_ahead, pools_of, register_facility, store_of
from tests.support.nodes import provider_of
from tests.support.broker import wait_for


def stay(facility_id, elder_id, first=7, nights=2, **changes):
    body = {"elder_id": elder_id, "facility_id": facility_id, "service": "respite_care",
            "when": {"day": days_ahead(first), "until": days_ahead(first + nights)}}
    body.update(changes)
    return body


def test_capacity_follows_the_facility_in_the_registry(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking, capacity={"general_beds": 2, "nursing_beds": 1})
    day = days_ahead(1)
    assert pools_of(booking, facility_id, day)["beds"]["units"] == 3
    call(registry, "change_facility", facility_id, "capacity", {"capacity": {"general_beds": 5}})
    wait_for(lambda: pools_of(booking, facility_id, day)["beds"]["units"] == 5, message="the new capacity")
    held = call(booking, "request_booking", stay(facility_id, elder()))
    call(registry, "change_facility", facility_id, "suspend", {"reason": "fire inspection"})
    wait_for(lambda: pools_of(booking, facility_id, day)["beds"]["status"] == "suspended", message="suspension")
    assert call(booking, "get_booking", held["booking_id"])["flag"] == "beds suspended: fire inspection"
    refused = call(booking, "request_booking", stay(facility_id, elder()))
    assert refused["status"] == "rejected" and "suspended" in refused["reason"]
    call(registry, "change_facility", facility_id, "reopen")
    wait_for(lambda: pools_of(booking, facility_id, day)["beds"]["status"] == "open", message="reopening")
    assert call(booking, "get_booking", held["booking_id"])["flag"] is None
    call(registry, "change_facility", facility_id, "close", {"reason": "merged"})
    wait_for(lambda: pools_of(booking, facility_id, day)["beds"]["status"] == "closed", message="closure")


def test_requests_confirm_until_full_then_wait_and_a_cancellation_promotes_the_first(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking)  # two beds
    made = [call(booking, "request_booking", stay(facility_id, elder())) for _ in range(4)]
    assert [b["status"] for b in made] == ["confirmed", "confirmed", "requested", "requested"]
    assert [b["waiting"] for b in made] == [False, False, True, True]
    night = pools_of(booking, facility_id, days_ahead(7))["beds"]["cells"][0]
    assert (night["capacity"], night["reserved"], night["free"], night["waiting"]) == (2, 2, 0, 2)

    cancelled = call(booking, "change_booking", made[0]["booking_id"], "cancel",
                     {"by": "elder", "reason": "went to her daughter's"})
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"] == "elder"
    assert call(booking, "get_booking", made[2]["booking_id"])["status"] == "confirmed"
    assert call(booking, "get_booking", made[3]["booking_id"])["waiting"] is True
    night = pools_of(booking, facility_id, days_ahead(7))["beds"]["cells"][0]
    assert (night["reserved"], night["free"], night["waiting"]) == (2, 0, 1)
    left = call(booking, "change_booking", made[3]["booking_id"], "cancel", {"by": "elder", "reason": "found one"})
    assert (left["status"], left["waiting"]) == ("cancelled", False)
    assert pools_of(booking, facility_id, days_ahead(7))["beds"]["cells"][0]["waiting"] == 0


def test_a_smaller_capacity_withdraws_the_newest_reservation_and_frees_the_elders_time(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking)
    first, second = (call(booking, "request_booking", stay(facility_id, elder())) for _ in range(2))
    call(registry, "change_facility", facility_id, "capacity", {"capacity": {"general_beds": 1}})
    wait_for(lambda: call(booking, "get_booking", second["booking_id"])["status"] == "cancelled",
             message="the newest reservation withdrawn")
    withdrawn = call(booking, "get_booking", second["booking_id"])
    assert withdrawn["cancelled_by"] == "facility" and withdrawn["reason"] == "beds capacity reduced"
    assert call(booking, "get_booking", first["booking_id"])["status"] == "confirmed"
    again = call(booking, "request_booking", stay(facility_id, withdrawn["elder_id"], first=20))
    assert again["status"] == "confirmed"


def test_refusals_about_how_things_stand_are_recorded_with_the_reason(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking)
    elder_id = elder()
    call(booking, "request_booking", stay(facility_id, elder_id))
    clash = call(booking, "request_booking", stay(facility_id, elder_id, first=8, service="trial_stay"))
    assert clash["status"] == "rejected" and "already has respite_care" in clash["reason"]
    call(booking, "request_booking", stay(facility_id, elder()))
    full = call(booking, "request_booking", stay(facility_id, elder(), wait=False))
    assert full["status"] == "rejected" and full["reason"] == "beds is full"


def test_the_steps_of_a_delivered_stay_and_a_no_show(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking, pool="day_care", capacity={"day_places": 10},
                                    kind="day_care_centre", care_type=None, services=["day_care"])
    today = {"elder_id": elder(), "facility_id": facility_id, "service": "day_care",
             "when": {"day": days_ahead(0)}}
    made = call(booking, "request_booking", today)
    assert call(booking, "change_booking", made["booking_id"], "check_in")["status"] == "checked_in"
    delivered = call(booking, "change_booking", made["booking_id"], "deliver", {"units": 1})
    assert (delivered["status"], delivered["units_delivered"], delivered["unit"]) == ("delivered", 1, "days")
    other = call(booking, "request_booking", {**today, "elder_id": elder()})
    no_show = call(booking, "change_booking", other["booking_id"], "no_show")
    assert no_show["status"] == "no_show"
    day = pools_of(booking, facility_id, days_ahead(0))["day_care"]["cells"][0]
    assert (day["reserved"], day["free"]) == (1, 9)  # the no-show's place is free again


def test_bad_input_names_the_field_and_stores_nothing(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking)
    head = store_of(booking).head_position()
    with pytest.raises(PayloadError) as error:
        call(booking, "request_booking", stay(facility_id, elder_id="110101194001010011", service="spa",
                                              when={"until": "tomorrow"}))
    assert set(error.value.fields) == {"elder_id", "service", "when.day", "when.until"}
    bath = {"day": days_ahead(3), "start": "11:00", "minutes": 45}
    someone = elder()
    for body, field in ((stay(facility_id, someone, first=-3), "day"), (stay(facility_id, someone, nights=0), "until"),
                        (stay(facility_id, someone, service="bathing", when=bath), "service"),  # no bathing here
                        (stay(str(uuid.uuid4()), someone), "facility_id"),
                        (stay(facility_id, str(uuid.uuid4())), "elder_id")):  # the registry does not know them
        with pytest.raises(Rejected) as refused:
            call(booking, "request_booking", body)
        assert refused.value.field == field, refused.value
    with pytest.raises(Rejected) as refused:
        call(booking, "set_capacity", facility_id, {"pool": "beds", "units": 9})
    assert refused.value.field == "pool"  # beds follow the registry
    with pytest.raises(NotFound):
        call(booking, "change_booking", str(uuid.uuid4()), "cancel", {"by": "elder", "reason": "x"})
    with pytest.raises(PayloadError) as error:
        call(booking, "change_booking", str(uuid.uuid4()), "deliver", {"units": "all"})
    assert error.value.fields == ["units"]
    assert store_of(booking).head_position() == head


def test_sessions_the_staff_set_are_booked_at_their_start_times(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking)
    call(booking, "set_capacity", facility_id, {"pool": "bathing", "units": 1, "slots": ["09:00", "10:00"],
                                                "slot_minutes": 45})
    bath = {"elder_id": elder(), "facility_id": facility_id, "service": "bathing",
            "when": {"day": days_ahead(3), "start": "10:00", "minutes": 45}}
    assert call(booking, "request_booking", bath)["status"] == "confirmed"
    head = store_of(booking).head_position()
    with pytest.raises(Rejected) as refused:
        call(booking, "request_booking", {**bath, "when": {**bath["when"], "start": "11:00"}})
    assert refused.value.field == "start" and store_of(booking).head_position() == head
    cells = pools_of(booking, facility_id, days_ahead(3))["bathing"]["cells"]
    assert [(c["start"], c["free"]) for c in cells] == [("09:00", 1), ("10:00", 0)]
    call(registry, "change_facility", facility_id, "suspend", {"reason": "no hot water"})
    wait_for(lambda: pools_of(booking, facility_id, days_ahead(3))["bathing"]["status"] == "suspended",
             message="the staff's pool to follow the facility's suspension")


def test_the_clock_rejects_requests_still_waiting_when_their_day_has_passed(node, elder):
    registry, booking = node
    facility_id = register_facility(registry, booking, pool="day_care", capacity={"day_places": 1},
                                    kind="day_care_centre", care_type=None, services=["day_care"])
    tomorrow = {"facility_id": facility_id, "service": "day_care", "when": {"day": days_ahead(1)}}
    held = call(booking, "request_booking", {**tomorrow, "elder_id": elder()})
    waiting = call(booking, "request_booking", {**tomorrow, "elder_id": elder()})
    later = call(booking, "request_booking",
                 {**tomorrow, "elder_id": elder(), "when": {"day": days_ahead(5)}})
    assert (held["status"], waiting["waiting"], later["status"]) == ("confirmed", True, "confirmed")

    assert call(booking, "expire_waiting") == 0  # the timer's entrypoint, on the real clock: not yet
    uow = UnitOfWorkFactory(provider_of(booking), None)
    the_day_after = datetime.now(timezone.utc) + timedelta(days=2)
    assert handlers.expire_waiting(uow, the_day_after) == 1
    expired = call(booking, "get_booking", waiting["booking_id"])
    assert (expired["status"], expired["waiting"], expired["reason"]) == ("rejected", False, flow.EXPIRED)
    assert handlers.expire_waiting(uow, the_day_after) == 0  # once
    types = [e.type.rsplit(".", 1)[1] for e in store_of(booking).read_all(0, 1000)
             if waiting["booking_id"] in (e.stream_id + str(e.data))]
    assert types[-3:] == ["WaitlistLeft", "BookingRejected", "TimeFreed"]
    assert call(booking, "get_booking", held["booking_id"])["status"] == "confirmed"  # reservations stay
