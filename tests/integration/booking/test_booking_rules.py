"""The rules a user expects, end to end through the node's HTTP API (real HTTP, gateway, tokens,
broker and the registry's events): recurring bookings make their occurrences, each decided on its
own; bookings in the past are refused; an elder cannot hold two bookings that exclude each other;
a suspended or closed facility takes no new bookings and its open ones are flagged."""
import uuid
from datetime import date, timedelta

from tests.integration.booking.builders import call, days_ahead, pools_of, register_facility, store_of
from tests.integration.booking.web import api, config, elder, facility_id, node, stay, tokens  # noqa: F401 (fixtures)
from tests.support.broker import wait_for


LATER = {"day": days_ahead(50), "until": days_ahead(52)}


def weekdays_between(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [day.isoformat() for day in days if day.weekday() < 5]


def day_care_centre(node, places=1):
    return register_facility(node["registry"], node["booking"], pool="day_care", kind="day_care_centre",
                             care_type=None, capacity={"day_places": places, "canteen_seats": places},
                             services=["day_care", "meals"])


def series(facility_id, elder_id, **changes):
    body = {"elder_id": elder_id, "facility_id": facility_id, "service": "day_care",
            "when": {"day": days_ahead(1)}, "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "last_day": days_ahead(14)}
    return {**body, **changes}


# -- recurring bookings -------------------------------------------------------------------------
def test_a_series_makes_each_weekday_a_booking_decided_on_its_own(api, elder, node):
    centre = day_care_centre(node)
    weekdays = weekdays_between(days_ahead(1), days_ahead(14))
    taken = api("POST", "/bookings", json={"elder_id": elder(), "facility_id": centre,
                                          "service": "day_care", "when": {"day": weekdays[1]}})
    assert taken.json()["status"] == "confirmed"

    made = api("POST", "/series", json=series(centre, elder(), wait=False))
    assert made.status_code == 201, made.text
    bookings = made.json()["bookings"]
    assert [b["when"]["day"] for b in bookings] == weekdays  # ten weekdays in any fourteen days
    assert [b["status"] for b in bookings] == ["confirmed", "rejected"] + ["confirmed"] * 8
    assert bookings[1]["reason"] == "day_care is full"
    assert {b["series_id"] for b in bookings} == {made.json()["series_id"]}
    listed = api("GET", "/bookings", params={"series_id": made.json()["series_id"], "limit": 100}).json()
    assert listed["total"] == 10


def test_a_retried_series_answers_the_bookings_it_made_and_makes_none_twice(api, elder, node):
    centre = day_care_centre(node, places=5)
    body = series(centre, elder(), series_id=str(uuid.uuid4()))
    first = api("POST", "/series", json=body).json()
    head = store_of(node["booking"]).head_position()
    again = api("POST", "/series", json=body)
    assert again.status_code == 201 and again.json() == first
    assert store_of(node["booking"]).head_position() == head
    another = api("POST", "/series", json={**body, "elder_id": elder()})
    assert another.status_code == 409 and set(another.json()["error"]["fields"]) == {"series_id"}
    stranger = api("POST", "/series", json=series(centre, str(uuid.uuid4())))
    assert stranger.status_code == 409 and set(stranger.json()["error"]["fields"]) == {"elder_id"}
    assert store_of(node["booking"]).head_position() == head


def test_bathing_every_tuesday_at_a_session_the_facility_runs(api, elder, node, facility_id):
    answer = api("POST", f"/facilities/{facility_id}/capacity",
                 json={"pool": "bathing", "units": 1, "slots": ["10:00"], "slot_minutes": 45})
    assert answer.status_code == 200, answer.text
    tuesdays = api("POST", "/series", json=series(facility_id, elder(), service="bathing", weekdays=["tue"],
                                                  when={"day": days_ahead(1), "start": "10:00", "minutes": 45},
                                                  last_day=days_ahead(28)))
    assert tuesdays.status_code == 201, tuesdays.text
    found = tuesdays.json()["bookings"]
    assert len(found) == 4 and {b["status"] for b in found} == {"confirmed"}
    assert {date.fromisoformat(b["when"]["day"]).weekday() for b in found} == {1}
    assert {b["when"]["start"] for b in found} == {"10:00"}


def test_a_series_that_cannot_be_is_refused_naming_the_field_and_stores_nothing(api, elder, node, facility_id):
    head = store_of(node["booking"]).head_position()
    bad = api("POST", "/series", json=series(facility_id, "王秀英", weekdays=["someday"]))
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"body.weekdays.0", "body.elder_id"}
    someone = elder()
    backwards = api("POST", "/series", json=series(facility_id, someone, last_day=days_ahead(0)))
    assert backwards.status_code == 400 and set(backwards.json()["error"]["fields"]) == {"body.last_day"}
    tomorrow = date.fromisoformat(days_ahead(1)).weekday()
    every_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    for changes, field in (({"when": {"day": days_ahead(-2)}, "weekdays": every_day}, "day"),  # in the past
                           ({"last_day": days_ahead(900)}, "last_day"),       # more than a year of them
                           ({"weekdays": [every_day[(tomorrow + 1) % 7]], "last_day": days_ahead(1)},
                            "weekdays"),                                      # falls on no day at all
                           ({"service": "bathing"}, "start")):               # a session needs its start
        refused = api("POST", "/series", json=series(facility_id, someone, **changes))
        assert refused.status_code == 409 and set(refused.json()["error"]["fields"]) == {field}, refused.text
    assert store_of(node["booking"]).head_position() == head


# -- bookings in the past -----------------------------------------------------------------------
def test_bookings_in_the_past_are_refused(api, elder, node, facility_id):
    api("POST", f"/facilities/{facility_id}/capacity",
        json={"pool": "bathing", "units": 1, "slots": ["00:00", "23:59"], "slot_minutes": 1})
    head = store_of(node["booking"]).head_position()
    yesterday = api("POST", "/bookings", json=stay(facility_id, elder(),
                                                   when={"day": days_ahead(-1), "until": days_ahead(2)}))
    assert yesterday.status_code == 409 and set(yesterday.json()["error"]["fields"]) == {"day"}
    bath = {"elder_id": elder(), "facility_id": facility_id, "service": "bathing"}
    earlier_today = api("POST", "/bookings", json={**bath, "when": {"day": days_ahead(0), "start": "00:00",
                                                                    "minutes": 1}})
    assert earlier_today.status_code == 409 and set(earlier_today.json()["error"]["fields"]) == {"start"}
    assert store_of(node["booking"]).head_position() == head
    tonight = api("POST", "/bookings", json={**bath, "when": {"day": days_ahead(1), "start": "23:59", "minutes": 1}})
    assert tonight.json()["status"] == "confirmed"


# -- bookings that exclude each other -----------------------------------------------------------
def test_an_elder_cannot_hold_two_beds_the_same_night(api, elder, node, facility_id):
    elder_id = elder()
    other_home = register_facility(node["registry"], node["booking"], name="望花区养老院",
                                   capacity={"general_beds": 5})
    first = api("POST", "/bookings", json=stay(facility_id, elder_id,
                                               when={"day": days_ahead(10), "until": days_ahead(13)})).json()
    assert first["status"] == "confirmed"
    for facility, service in ((facility_id, "trial_stay"), (other_home, "respite_care")):
        clash = api("POST", "/bookings", json=stay(facility, elder_id, service=service,
                                                   when={"day": days_ahead(12), "until": days_ahead(14)}))
        assert clash.status_code == 201 and clash.json()["status"] == "rejected", clash.text
        assert first["booking_id"] in clash.json()["reason"]
    next_stay = api("POST", "/bookings", json=stay(other_home, elder_id, service="respite_care",
                                                   when={"day": days_ahead(13), "until": days_ahead(15)}))
    assert next_stay.json()["status"] == "confirmed"  # leaving on the 13th, the next stay's first night
    api("POST", f"/bookings/{first['booking_id']}/cancel", json={"by": "elder", "reason": "went home"})
    freed = api("POST", "/bookings", json=stay(other_home, elder_id, service="respite_care",
                                               when={"day": days_ahead(11), "until": days_ahead(13)}))
    assert freed.json()["status"] == "confirmed"  # a cancelled booking holds no night


def test_an_elder_cannot_hold_two_sessions_at_once_but_may_hold_sessions_one_after_the_other(api, elder, facility_id):
    api("POST", f"/facilities/{facility_id}/capacity",
        json={"pool": "bathing", "units": 3, "slots": ["09:00", "09:30", "10:00"], "slot_minutes": 45})
    api("POST", f"/facilities/{facility_id}/capacity",
        json={"pool": "rehabilitation", "units": 3, "slots": ["09:30", "10:00"], "slot_minutes": 30})
    who = {"elder_id": elder(), "facility_id": facility_id}
    bath = api("POST", "/bookings", json={**who, "service": "bathing",
                                         "when": {"day": days_ahead(3), "start": "09:00", "minutes": 45}}).json()
    assert bath["status"] == "confirmed"
    during = api("POST", "/bookings", json={**who, "service": "rehabilitation",
                                           "when": {"day": days_ahead(3), "start": "09:30", "minutes": 30}}).json()
    assert during["status"] == "rejected" and bath["booking_id"] in during["reason"]
    after = api("POST", "/bookings", json={**who, "service": "rehabilitation",
                                          "when": {"day": days_ahead(3), "start": "10:00", "minutes": 30}}).json()
    assert after["status"] == "confirmed"


# -- a facility that stops taking bookings ------------------------------------------------------
def _pool_status(node, facility_id, status):
    return (pools_of(node["booking"], facility_id, days_ahead(1)).get("beds") or {}).get("status") == status


def test_a_suspended_facility_flags_its_open_bookings_takes_none_and_reopens(api, elder, node, facility_id):
    held = api("POST", "/bookings", json=stay(facility_id, elder())).json()
    waiting = api("POST", "/bookings", json=stay(facility_id, elder())).json()
    assert (held["status"], waiting["status"]) == ("confirmed", "requested")
    call(node["registry"], "change_facility", facility_id, "suspend", {"reason": "消防整改"})
    wait_for(lambda: _pool_status(node, facility_id, "suspended"), message="booking to hear of the suspension")

    for booking in (held, waiting):
        flagged = api("GET", f"/bookings/{booking['booking_id']}").json()
        assert flagged["flag"] == "beds suspended: 消防整改" and flagged["status"] == booking["status"]
    refused = api("POST", "/bookings", json=stay(facility_id, elder(), when=LATER))
    assert refused.status_code == 201 and refused.json()["status"] == "rejected"
    assert refused.json()["reason"] == "the facility's beds is suspended: it takes no new bookings"

    call(node["registry"], "change_facility", facility_id, "reopen")
    wait_for(lambda: _pool_status(node, facility_id, "open"), message="booking to hear of the reopening")
    assert api("GET", f"/bookings/{held['booking_id']}").json()["flag"] is None
    again = api("POST", "/bookings", json=stay(facility_id, elder(), when=LATER))
    assert again.json()["status"] == "confirmed"


def test_a_closed_facility_flags_its_open_bookings_and_takes_none(api, elder, node, facility_id):
    held = api("POST", "/bookings", json=stay(facility_id, elder())).json()
    call(node["registry"], "change_facility", facility_id, "close", {"reason": "合并到区中心"})
    wait_for(lambda: _pool_status(node, facility_id, "closed"), message="booking to hear of the closing")
    assert api("GET", f"/bookings/{held['booking_id']}").json()["flag"] == "beds closed: 合并到区中心"
    refused = api("POST", "/bookings", json=stay(facility_id, elder(), when=LATER))
    assert refused.json()["status"] == "rejected" and "closed" in refused.json()["reason"]
    series_refused = api("POST", "/series", json=series(facility_id, elder(), service="respite_care",
                                                        when={"day": days_ahead(1), "until": days_ahead(2)},
                                                        weekdays=["sat"]))
    assert {b["status"] for b in series_refused.json()["bookings"]} == {"rejected"}
