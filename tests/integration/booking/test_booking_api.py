"""Booking through the node's HTTP API: real HTTP, gateway, tokens, broker and registry events.

Racers for the last bed through the gateway (greenthreads, the service's workers, the store's
optimistic concurrency on SQLite and PostgreSQL): exactly one is confirmed, the others wait or are
refused, and none gets a conflict. Validation errors name the field; scopes hold; nothing is stored
for a refused request."""
import logging
import uuid

import eventlet
import pytest
import requests

from tests.integration.booking.builders import call, days_ahead, register_elders, register_facility, store_of
from tests.integration.booking.web import (API, api, config, elder, facility_id, node, stay,  # noqa: F401 (fixtures)
                                          tokens)

RACERS = 8


def race(api, bodies):
    pool = eventlet.GreenPool(len(bodies))
    return list(pool.imap(lambda body: api("POST", "/bookings", json=body), bodies))


@pytest.mark.parametrize("config", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("wait", [True, False])
def test_racers_for_the_last_bed_exactly_one_is_confirmed(api, node, facility_id, wait, config, caplog):
    caplog.set_level(logging.INFO, logger="shared.retry")
    elders = register_elders(node["registry"], node["booking"], RACERS)
    answers = race(api, [stay(facility_id, elder_id, wait=wait) for elder_id in elders])
    assert [a.status_code for a in answers] == [201] * RACERS, [a.text for a in answers if a.status_code != 201]
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["confirmed"] + ["requested" if wait else "rejected"] * (RACERS - 1)
    night = api("GET", f"/facilities/{facility_id}/schedule",
                params={"from": days_ahead(10), "to": days_ahead(10)}).json()["pools"][0]["cells"][0]
    assert (night["reserved"], night["free"], night["waiting"]) == (1, 0, RACERS - 1 if wait else 0)
    on_postgres = bool((config["ELDERNET"].get("databases") or {}).get("booking"))
    if on_postgres:  # the racers really interleave there, and the losers decide again
        assert any("deciding again" in record.getMessage() for record in caplog.records)


def test_the_waiting_are_promoted_in_the_order_they_came(api, elder, facility_id):
    first = api("POST", "/bookings", json=stay(facility_id, elder())).json()
    waiting = [api("POST", "/bookings", json=stay(facility_id, elder())).json() for _ in range(3)]
    for before, after in zip([first, *waiting], waiting):
        cancelled = api("POST", f"/bookings/{before['booking_id']}/cancel", json={"by": "facility", "reason": "moved"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert api("GET", f"/bookings/{after['booking_id']}").json()["status"] == "confirmed"


def test_validation_errors_name_the_field_and_store_nothing(api, elder, node, facility_id):
    head = store_of(node["booking"]).head_position()
    bad = api("POST", "/bookings", json=stay(facility_id, "王秀英", service="spa", when={"day": "soon"}))
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"body.service", "body.elder_id", "body.when.day"}
    someone = elder()
    past = api("POST", "/bookings", json=stay(facility_id, someone,
                                              when={"day": days_ahead(-1), "until": days_ahead(1)}))
    assert past.status_code == 409 and set(past.json()["error"]["fields"]) == {"day"}
    stranger = api("POST", "/bookings", json=stay(facility_id, str(uuid.uuid4())))
    assert stranger.status_code == 409 and set(stranger.json()["error"]["fields"]) == {"elder_id"}
    assert "register the elder in the registry first" in stranger.json()["error"]["message"]
    bath = api("POST", "/bookings", json=stay(facility_id, someone, service="bathing",
                                              when={"day": days_ahead(2), "start": "10:00", "minutes": 30}))
    assert bath.status_code == 409 and set(bath.json()["error"]["fields"]) == {"service"}
    schedule = api("GET", f"/facilities/{facility_id}/schedule", params={"from": days_ahead(5), "to": days_ahead(1)})
    assert schedule.status_code == 400 and set(schedule.json()["error"]["fields"]) == {"query.to"}
    assert store_of(node["booking"]).head_position() == head


def test_writes_and_reads_stay_inside_the_tokens_area(api, elder, node, facility_id):
    head = store_of(node["booking"]).head_position()
    assert api("POST", "/bookings", who="neighbour", json=stay(facility_id, elder())).status_code == 403
    assert api("POST", "/bookings", who="viewer", json=stay(facility_id, elder())).status_code == 403
    assert store_of(node["booking"]).head_position() == head
    made = api("POST", "/bookings", json=stay(facility_id, elder())).json()
    assert api("GET", f"/bookings/{made['booking_id']}", who="viewer").json()["status"] == "confirmed"
    assert api("GET", f"/bookings/{made['booking_id']}", who="neighbour").status_code == 404
    assert api("POST", f"/bookings/{made['booking_id']}/cancel", who="neighbour",
               json={"by": "elder", "reason": "x"}).status_code == 404
    assert api("GET", f"/facilities/{facility_id}/schedule", who="neighbour",
               params={"from": days_ahead(1), "to": days_ahead(2)}).status_code == 404
    assert api("GET", "/bookings", who="neighbour").json()["total"] == 0
    assert api("GET", "/bookings", who="viewer", params={"area_code": "210402004"}).status_code == 403


def test_an_elders_bookings_and_the_steps_of_a_day(api, elder, node, facility_id):
    elder_id = elder()
    day_care = register_facility(node["registry"], node["booking"], pool="day_care", kind="day_care_centre",
                                 care_type=None, capacity={"day_places": 20}, services=["day_care", "meals"])
    today = api("POST", "/bookings", json={"elder_id": elder_id, "facility_id": day_care, "service": "day_care",
                                          "when": {"day": days_ahead(0)}}).json()
    later = api("POST", "/bookings", json=stay(facility_id, elder_id)).json()
    for step, body in (("check-in", None), ("deliver", {"units": 1})):
        answer = api("POST", f"/bookings/{today['booking_id']}/{step}", json=body)
        assert answer.status_code == 200, answer.text
    listed = api("GET", f"/elders/{elder_id}/bookings", who="viewer").json()
    assert [(b["booking_id"], b["status"]) for b in listed["items"]] == [
        (today["booking_id"], "delivered"), (later["booking_id"], "confirmed")]
    assert listed["items"][0]["units_delivered"] == 1 and listed["items"][0]["unit"] == "days"
    delivered = api("GET", "/bookings", params={"status": "delivered", "facility_id": day_care}).json()
    assert delivered["total"] == 1
    again = api("POST", f"/bookings/{today['booking_id']}/no-show")
    assert again.status_code == 409 and again.json()["error"]["fields"] == {"status": [
        "the booking is delivered: it cannot become no_show"]}


def test_the_openapi_document_has_the_booking_operations(api, node, config):
    document = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/api/v1/openapi.json", timeout=10).json()
    assert {f"{API}/bookings", f"{API}/bookings/{{booking_id}}/check-in",
            f"{API}/facilities/{{facility_id}}/schedule"} <= set(document["paths"])
    assert call(node["booking"], "openapi")["paths"]
