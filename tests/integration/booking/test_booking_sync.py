"""Bookings across the tiers: a town node and its village node, each running the registry and the
booking service on its own vhost and broker user. The village's facility gets its capacity at the
village only (its home node; the town, which holds the facility by sync, leaves it alone); a booking
made in the village is visible at the town; one asked of the town is forwarded to the village."""
import uuid

import pytest

from shared.http_api import NotFound, Principal
from shared.local_network import LocalNetwork
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, call, days_ahead, register_facility, store_of
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


def stay(facility_id):
    return {"elder_id": str(uuid.uuid4()), "facility_id": facility_id, "service": "respite_care",
            "when": {"day": days_ahead(5), "until": days_ahead(7)}}


def test_a_villages_bookings_are_decided_at_the_village_and_seen_at_the_town(network):
    """One network for both ways in (a network's teardown costs seconds): made at the village, and
    asked of the town, which forwards it to the village (single writer)."""
    town, village = network
    facility_id = register_facility(village["registry"], village["booking"], area=VILLAGE)
    made = call(village["booking"], "request_booking", stay(facility_id))
    assert made["status"] == "confirmed"
    seen = wait_for(lambda: (_booking(town["booking"], made["booking_id"]) or {}).get("status") == "confirmed",
                    message="the confirmed booking at the town")
    assert seen and _booking(town["booking"], made["booking_id"])["area_code"] == VILLAGE
    # The town heard of the facility too (its registry synced it and published it), and left its
    # capacity to the village: everything in the town's booking store was written at the village.
    assert {e.origin_node for e in store_of(town["booking"]).read_all(0, 1000)} == {VILLAGE_NODE}

    principal = Principal("test-token", "210402003", "operator").to_dict()
    answer = call(town["booking"], "http", {"method": "POST", "path": "/bookings", "query": {},
                                            "body": stay(facility_id), "principal": principal})
    assert answer["status"] == 201 and answer["body"]["status"] == "confirmed", answer
    forwarded = store_of(village["booking"]).read_stream(f"booking-{answer['body']['booking_id']}")
    assert [e.type.rsplit(".", 1)[1] for e in forwarded] == ["BookingRequested", "BookingConfirmed"]
    assert {e.origin_node for e in forwarded} == {VILLAGE_NODE}
