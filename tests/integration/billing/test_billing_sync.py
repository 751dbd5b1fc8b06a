"""Billing across the tiers: a city, a district, a town and two villages, each node its own vhost,
broker user and databases, every node running the registry and billing (the village with the
canteen runs booking too). A policy the city publishes reaches every village by the downward sync;
a meal delivered in a village is priced there (its home node), by the city's policy that came
down; the claim climbs to the city; the district approves it over HTTP at its own node (forwarded
to the village, where the claim is written); once approved its line is on the town's, the
district's and the city's statements, each written at its own node."""
import uuid

import pytest

from shared.http_api import NotFound, Principal
from shared.local_network import LocalNetwork
from services.billing.service import BillingService
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.billing.builders import (claim_of, deliver_meal, knows_elder, policy_file, register_canteen,
                                                register_elder, statement_of, this_month)
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of

NODES = [  # id, tier, area, parent
    ("fushun", "city", "2104", None),
    ("xinfu", "district", "210402", "fushun"),
    ("xinfu-s03", "town", "210402003", "xinfu"),
    ("xinfu-s03-c001", "village", "210402003001", "xinfu-s03"),
    ("xinfu-s03-c002", "village", "210402003002", "xinfu-s03"),
]
VILLAGE_NODE, VILLAGE = "xinfu-s03-c001", "210402003001"
TREE = [{"code": area, "name": f"{tier} {area}", "tier": tier,
         **({"parent": next(a for i, _, a, _ in NODES if i == parent)} if parent else {})}
        for _, tier, area, parent in NODES]


@pytest.fixture
def network(container_factory, node_config, tmp_path):
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    for node_id, tier, area, parent in NODES:
        net.add(node_id, tier, area, parent)
    nodes = {}
    for node_id, *_ in NODES:
        services = (BillingService, BookingService, RegistryService) if node_id == VILLAGE_NODE \
            else (BillingService, RegistryService)
        config = net.config(node_id)
        config["ELDERNET"]["sync"]["forward_timeout"] = 10
        nodes[node_id] = {service.name: container_factory(service, config) for service in services}
        for container in nodes[node_id].values():
            container.start()
    call(nodes["fushun"]["registry"], "import_areas", TREE)
    wait_for(lambda: _knows_area(nodes[VILLAGE_NODE]["registry"]), timeout=30,
             message="the area tree down at the village")
    yield nodes
    for node_id, *_ in reversed(NODES):  # children first: their links consume from the parent's broker
        for container in nodes[node_id].values():
            container.stop()
    net.close()


def _knows_area(registry):
    try:
        return call(registry, "statistics", VILLAGE)
    except NotFound:
        return None


def _policy_ids(billing, area):
    return {(p["policy_id"], p["set_by"]) for p in call(billing, "policies", area)}


def test_a_city_policy_reaches_every_village_and_prices_a_village_meal_seen_up_to_the_city(network):
    city = network["fushun"]["billing"]
    assert call(city, "load_policies", policy_file("2104"))["published"] == ["home-care v1"]
    for node_id, tier, area, _ in NODES:
        wait_for(lambda b=network[node_id]["billing"], a=area: ("home-care", "2104") in _policy_ids(b, a),
                 timeout=30, message=f"the city's policy at {node_id}")

    village = network[VILLAGE_NODE]
    elder_id = register_elder(village["registry"], VILLAGE)
    canteen = register_canteen(village["registry"], village["booking"], VILLAGE)
    wait_for(lambda: knows_elder(village["billing"], elder_id, VILLAGE), message="the elder known at the village")
    booking_id = deliver_meal(village["booking"], canteen, elder_id)
    claim = wait_for(lambda: claim_of(village["billing"], booking_id), message="the claim at the village")
    assert (claim["status"], claim["set_by"], claim["subsidy_fen"], claim["copay_fen"]) == ("priced", "2104", 1080, 120)
    claim_stream = f"subsidy-claim-{booking_id}"
    for node_id in ("xinfu-s03", "xinfu", "fushun"):
        wait_for(lambda b=network[node_id]["billing"]: claim_of(b, booking_id), timeout=30,
                 message=f"the claim synced up to {node_id}")
    # Priced once, at the village: every copy of the claim was written there.
    assert {e.origin_node for e in store_of(city).read_stream(claim_stream)} == {VILLAGE_NODE}
    assert store_of(network["xinfu-s03-c002"]["billing"]).stream_version(claim_stream) == 0  # no sibling's

    call(village["billing"], "review_claim", booking_id, "submit", {"by": "永安社区 张"})
    # The district approves over HTTP at its own node; the claim is written at the village, so the
    # request is forwarded down two hops and the village's answer comes back.
    principal = Principal("district-token", "210402", "operator").to_dict()
    answer = call(network["xinfu"]["billing"], "http", {
        "method": "POST", "path": f"/claims/{booking_id}/approve", "query": {}, "body": {"by": "新抚区民政局 李"},
        "principal": principal})
    assert answer["status"] == 200 and answer["body"]["status"] == "approved", answer
    approved = store_of(village["billing"]).read_stream(claim_stream)[-1]
    assert approved.type.endswith("ClaimApproved") and approved.origin_node == VILLAGE_NODE
    month = this_month()
    for node_id, area in (("xinfu-s03", "210402003"), ("xinfu", "210402"), ("fushun", "2104")):
        statement = wait_for(lambda b=network[node_id]["billing"], a=area: statement_of(b, a, month), timeout=30,
                             message=f"the statement of {area} at {node_id}")
        assert (statement["lines"], statement["subsidy_fen"], statement["copay_fen"]) == (1, 1080, 120)
        assert [item["booking_id"] for item in statement["line_items"]] == [booking_id]
        written = store_of(network[node_id]["billing"]).read_stream(f"subsidy-statement-{area}-{month}")
        assert {e.origin_node for e in written} == {node_id}  # each statement at its own area's node
    # The district's statement climbs to the city too, and the city's budget records the spend.
    wait_for(lambda: statement_of(city, "210402", month), timeout=30, message="the district's statement at the city")
    spent = wait_for(lambda: [b for b in call(city, "budgets", "2104") if b["spent_fen"] == 1080], timeout=30,
                     message="the city's budget spend")
    assert spent[0]["budget_line"] == "home-care-purchase"
