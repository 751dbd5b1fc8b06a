"""Bookings across the tiers: a town node and its village node, each running the registry and the
booking service on its own vhost and broker user. The village's facility gets its capacity at the
village only (its home node; the town, which holds the facility by sync, leaves it alone); a booking
made in the village is visible at the town; one asked of the town is forwarded to the village."""
import uuid
from datetime import date

import pytest

from shared.aggregate import Rejected
from shared.http_api import NotFound, Principal
from shared.local_network import LocalNetwork
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import (TREE, call, days_ahead, knows_elder, register_elders,
                                                register_facility, store_of)
from tests.support.broker import wait_for

TOWN, VILLAGE_NODE, VILLAGE = "xinfu-s03", "xinfu-s03-c001", "210402003001"


@pytest.fixture
def network(container_factory, node_config, tmp_path):
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    net.add(TOWN, "town", "210402003")
    net.add(VILLAGE_NODE, "village", VILLAGE, parent=TOWN)
    nodes = {}
    for node_id in (TOWN, VILLAGE_NODE):
        config = net.config(node_id)
        config["ELDERNET"]["sync"]["forward_timeout"] = 5
        nodes[node_id] = {service.name: container_factory(service, config)
                          for service in (BookingService, RegistryService)}
        for container in nodes[node_id].values():
            container.start()
    call(nodes[TOWN]["registry"], "import_areas", [row for row in TREE if VILLAGE.startswith(row["code"])])
    wait_for(lambda: _knows_area(nodes[VILLAGE_NODE]["registry"]), message="the area tree to reach the village")
    yield nodes[TOWN], nodes[VILLAGE_NODE]
    for node_id in (VILLAGE_NODE, TOWN):  # the child first: its link consumes from the parent's broker
        for container in nodes[node_id].values():
            container.stop()
    net.close()


def _knows_area(registry):
    try:
        return call(registry, "statistics", VILLAGE)
    except NotFound:
        return None


def _booking(booking, booking_id):
    try:
        return call(booking, "get_booking", booking_id)
    except NotFound:
        return None


def stay(facility_id, elder_id):
    return {"elder_id": elder_id, "facility_id": facility_id, "service": "respite_care",
            "when": {"day": days_ahead(5), "until": days_ahead(7)}}


def test_a_villages_bookings_are_decided_at_the_village_and_seen_at_the_town(network):
    """One network for both ways in (a network's teardown costs seconds): made at the village, and
    asked of the town, which forwards it to the village (single writer)."""
    town, village = network
    facility_id = register_facility(village["registry"], village["booking"], area=VILLAGE)
    elder_id, other_id = register_elders(village["registry"], village["booking"], 2, area=VILLAGE)
    made = call(village["booking"], "request_booking", stay(facility_id, elder_id))
    assert made["status"] == "confirmed"
    seen = wait_for(lambda: (_booking(town["booking"], made["booking_id"]) or {}).get("status") == "confirmed",
                    message="the confirmed booking at the town")
    assert seen and _booking(town["booking"], made["booking_id"])["area_code"] == VILLAGE
    # The town heard of the facility too (its registry synced it and published it), and left its
    # capacity to the village: everything in the town's booking store was written at the village.
    assert {e.origin_node for e in store_of(town["booking"]).read_all(0, 1000)} == {VILLAGE_NODE}

    principal = Principal("test-token", "210402003", "operator").to_dict()
    answer = call(town["booking"], "http", {"method": "POST", "path": "/bookings", "query": {},
                                            "body": stay(facility_id, other_id), "principal": principal})
    assert answer["status"] == 201 and answer["body"]["status"] == "confirmed", answer
    forwarded = store_of(village["booking"]).read_stream(f"booking-{answer['body']['booking_id']}")
    assert [e.type.rsplit(".", 1)[1] for e in forwarded] == ["BookingRequested", "BookingConfirmed"]
    assert {e.origin_node for e in forwarded} == {VILLAGE_NODE}
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[date.fromisoformat(days_ahead(20)).weekday()]
    series = {"elder_id": other_id, "facility_id": facility_id, "service": "respite_care", "weekdays": [weekday],
              "when": {"day": days_ahead(20), "until": days_ahead(21)}, "last_day": days_ahead(34)}
    answer = call(town["booking"], "http", {"method": "POST", "path": "/series", "query": {}, "body": series,
                                            "principal": principal})
    assert answer["status"] == 201 and [b["status"] for b in answer["body"]["bookings"]] == ["confirmed"] * 3
    assert all(store_of(village["booking"]).read_stream(f"booking-{b['booking_id']}")
               for b in answer["body"]["bookings"])  # forwarded whole, each occurrence written at the village

    # The elders registered at the village came up to the town with its registry's records, so a
    # facility homed at the town books them; the town's elders never go down to the village, which
    # refuses them, naming the elder (docs/booking.md, "Elders").
    wait_for(lambda: knows_elder(town["booking"], elder_id), message="the village's elder to be known at the town")
    day_centre = register_facility(town["registry"], town["booking"], area="210402003", pool="day_care",
                                   kind="day_care_centre", care_type=None, capacity={"day_places": 5},
                                   services=["day_care"])
    day = {"facility_id": day_centre, "service": "day_care", "when": {"day": days_ahead(2)}}
    assert call(town["booking"], "request_booking", {**day, "elder_id": elder_id})["status"] == "confirmed"
    call(town["registry"], "register_area", {"code": "210402003002", "name": "东公园社区", "tier": "village",
                                             "parent_code": "210402003"})  # a village without a node of its own
    (townsman,) = register_elders(town["registry"], town["booking"], 1, area="210402003002")
    with pytest.raises(Rejected) as refused:
        call(village["booking"], "request_booking", stay(facility_id, townsman))
    assert refused.value.field == "elder_id" and VILLAGE_NODE in refused.value.reason

    # An admission checked in at the village counts a resident there (the facility's home node), and
    # the town sees it by sync; the town's registry, which also hears the booking, leaves it alone.
    admitted = call(village["booking"], "request_booking", {
        "elder_id": elder_id, "facility_id": facility_id, "service": "admission",
        "when": {"day": days_ahead(0), "until": days_ahead(3)}})
    call(village["booking"], "change_booking", admitted["booking_id"], "check_in")
    wait_for(lambda: call(town["registry"], "statistics", VILLAGE)["residents"] == 1,
             message="the village's resident seen at the town")
    facility_events = store_of(town["registry"]).read_stream(f"facility-{facility_id}")
    assert {e.origin_node for e in facility_events} == {VILLAGE_NODE}
