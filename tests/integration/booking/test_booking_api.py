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
from nameko.testing.services import entrypoint_hook

from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, call, days_ahead, register_facility, store_of

API = "/api/v1/booking"
RACERS = 8


@pytest.fixture
def config(request, web_node_config):
    """The node's config; booking's store on SQLite, or on PostgreSQL for a test that asks."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return web_node_config
    databases = {"booking": request.getfixturevalue("postgres_url")}
    return {**web_node_config, "ELDERNET": {**web_node_config["ELDERNET"], "databases": databases}}


@pytest.fixture
def node(container_factory, config):
    containers = {service.name: container_factory(service, config)
                  for service in (NodeService, BookingService, RegistryService)}
    for container in containers.values():
        container.start()
    with entrypoint_hook(containers["registry"], "import_areas") as import_areas:
        import_areas(TREE)
    return containers


@pytest.fixture
def tokens(config):
    made = {}
    for name, area, role in (("operator", "210402003", "operator"), ("viewer", "210402003", "viewer"),
                             ("neighbour", "210402004", "operator")):
        made[name], _ = issue_token(config, area, role, label=name)
    return made


@pytest.fixture
def api(node, config, tokens):
    base = f"http://{config['WEB_SERVER_ADDRESS']}{API}"

    def request(method, path, who="operator", **kwargs):
        # A session per call: the racers each need their own connection.
        with requests.Session() as session:
            return session.request(method, base + path, headers={"Authorization": f"Bearer {tokens[who]}"},
                                   timeout=30, **kwargs)
    return request


@pytest.fixture
def facility_id(node):
    return register_facility(node["registry"], node["booking"], capacity={"general_beds": 1})


def stay(facility_id, **changes):
    body = {"elder_id": str(uuid.uuid4()), "facility_id": facility_id, "service": "admission",
            "when": {"day": days_ahead(10), "until": days_ahead(40)}}
    return {**body, **changes}


def race(api, bodies):
    pool = eventlet.GreenPool(len(bodies))
    return list(pool.imap(lambda body: api("POST", "/bookings", json=body), bodies))


@pytest.mark.parametrize("config", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.parametrize("wait", [True, False])
def test_racers_for_the_last_bed_exactly_one_is_confirmed(api, facility_id, wait, config, caplog):
    caplog.set_level(logging.INFO, logger="shared.retry")
    answers = race(api, [stay(facility_id, wait=wait) for _ in range(RACERS)])
    assert [a.status_code for a in answers] == [201] * RACERS, [a.text for a in answers if a.status_code != 201]
    statuses = sorted(a.json()["status"] for a in answers)
    assert statuses == ["confirmed"] + ["requested" if wait else "rejected"] * (RACERS - 1)
    night = api("GET", f"/facilities/{facility_id}/schedule",
                params={"from": days_ahead(10), "to": days_ahead(10)}).json()["pools"][0]["cells"][0]
    assert (night["reserved"], night["free"], night["waiting"]) == (1, 0, RACERS - 1 if wait else 0)
    on_postgres = bool((config["ELDERNET"].get("databases") or {}).get("booking"))
    if on_postgres:  # the racers really interleave there, and the losers decide again
        assert any("deciding again" in record.getMessage() for record in caplog.records)


def test_the_waiting_are_promoted_in_the_order_they_came(api, facility_id):
    first = api("POST", "/bookings", json=stay(facility_id)).json()
    waiting = [api("POST", "/bookings", json=stay(facility_id)).json() for _ in range(3)]
    for before, after in zip([first, *waiting], waiting):
        cancelled = api("POST", f"/bookings/{before['booking_id']}/cancel", json={"by": "facility", "reason": "moved"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert api("GET", f"/bookings/{after['booking_id']}").json()["status"] == "confirmed"


def test_validation_errors_name_the_field_and_store_nothing(api, node, facility_id):
    head = store_of(node["booking"]).head_position()
    bad = api("POST", "/bookings", json=stay(facility_id, service="spa", elder_id="王秀英", when={"day": "soon"}))
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"body.service", "body.elder_id", "body.when.day"}
    past = api("POST", "/bookings", json=stay(facility_id, when={"day": days_ahead(-1), "until": days_ahead(1)}))
    assert past.status_code == 409 and set(past.json()["error"]["fields"]) == {"day"}
    bath = api("POST", "/bookings", json=stay(facility_id, service="bathing",
                                              when={"day": days_ahead(2), "start": "10:00", "minutes": 30}))
    assert bath.status_code == 409 and set(bath.json()["error"]["fields"]) == {"service"}
    schedule = api("GET", f"/facilities/{facility_id}/schedule", params={"from": days_ahead(5), "to": days_ahead(1)})
    assert schedule.status_code == 400 and set(schedule.json()["error"]["fields"]) == {"query.to"}
    assert store_of(node["booking"]).head_position() == head


def test_writes_and_reads_stay_inside_the_tokens_area(api, node, facility_id):
    head = store_of(node["booking"]).head_position()
    assert api("POST", "/bookings", who="neighbour", json=stay(facility_id)).status_code == 403
    assert api("POST", "/bookings", who="viewer", json=stay(facility_id)).status_code == 403
    assert store_of(node["booking"]).head_position() == head
    made = api("POST", "/bookings", json=stay(facility_id)).json()
    assert api("GET", f"/bookings/{made['booking_id']}", who="viewer").json()["status"] == "confirmed"
    assert api("GET", f"/bookings/{made['booking_id']}", who="neighbour").status_code == 404
    assert api("POST", f"/bookings/{made['booking_id']}/cancel", who="neighbour",
               json={"by": "elder", "reason": "x"}).status_code == 404
    assert api("GET", f"/facilities/{facility_id}/schedule", who="neighbour",
               params={"from": days_ahead(1), "to": days_ahead(2)}).status_code == 404
    assert api("GET", "/bookings", who="neighbour").json()["total"] == 0
    assert api("GET", "/bookings", who="viewer", params={"area_code": "210402004"}).status_code == 403


def test_an_elders_bookings_and_the_steps_of_a_day(api, node, facility_id):
    elder_id = str(uuid.uuid4())
    day_care = register_facility(node["registry"], node["booking"], pool="day_care", kind="day_care_centre",
                                 care_type=None, capacity={"day_places": 20}, services=["day_care", "meals"])
    today = api("POST", "/bookings", json={"elder_id": elder_id, "facility_id": day_care, "service": "day_care",
                                          "when": {"day": days_ahead(0)}}).json()
    later = api("POST", "/bookings", json=stay(facility_id, elder_id=elder_id)).json()
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
