"""A four-tier network on the real broker (issue #4): 1 city, 2 districts, 2 towns, 2 villages per
town — nine nodes, each its own vhost, broker user and databases, every link child-initiated.
What the city sets comes down to every node it concerns; what each village records climbs tier
by tier to the city; a village cut off keeps working and catches up once; a repeat of the whole
sync changes nothing anywhere."""
import uuid

import pytest

from shared.local_network import LocalNetwork
from shared.sync_status import sync_status
from services.registry.service import RegistryService
from prometheus_client import REGISTRY

from tests.support.broker import get_all, wait_for
from tests.support.tcp_proxy import TcpProxy
from tests.support.nodes import call, provider_of, store_of

NODES = [  # id, tier, area, parent
    ("fushun", "city", "2104", None),
    ("xinfu", "district", "210402", "fushun"),
    ("wanghua", "district", "210403", "fushun"),
    ("xinfu-s03", "town", "210402003", "xinfu"),
    ("xinfu-s04", "town", "210402004", "xinfu"),
    ("xinfu-s03-c001", "village", "210402003001", "xinfu-s03"),
    ("xinfu-s03-c002", "village", "210402003002", "xinfu-s03"),
    ("xinfu-s04-c001", "village", "210402004001", "xinfu-s04"),
    ("xinfu-s04-c002", "village", "210402004002", "xinfu-s04"),
]
VILLAGES = [n for n in NODES if n[1] == "village"]
OFFLINE = "xinfu-s04-c002"
TIER_NAMES = {"city": "抚顺市", "district": "区", "town": "街道", "village": "社区"}


def area_tree():
    rows = []
    for _, tier, code, parent in NODES:
        parent_code = next((c for i, _, c, _ in NODES if i == parent), None)
        rows.append({"code": code, "name": f"{TIER_NAMES[tier]}{code[-3:]}", "tier": tier,
                     **({"parent": parent_code} if parent_code else {})})
    return rows


@pytest.fixture
def network(container_factory, node_config, tmp_path):
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    proxy = TcpProxy()
    for node_id, tier, area, parent in NODES:
        net.add(node_id, tier, area, parent, proxy=proxy if node_id == OFFLINE else None)
    containers = {node_id: container_factory(RegistryService, net.config(node_id)) for node_id, *_ in NODES}
    for container in containers.values():
        container.start()
    call(containers["fushun"], "import_areas", area_tree())
    for node_id, _, area, _ in VILLAGES:
        wait_for(lambda c=containers[node_id], a=area: a in areas_at(c), timeout=30,
                 message=f"the area tree down at {node_id}")
    yield net, proxy, containers
    for container in containers.values():
        container.stop()
    proxy.close()
    net.close()


def areas_at(container):
    return {e.data["code"] for e in store_of(container).read_all(0, 10_000) if e.type.endswith("AreaRegistered")}


def facility(area, kind="day_care_centre", n=1):
    capacity = {"day_places": 20} if kind == "day_care_centre" else {}
    return {"kind": kind, "name": f"设施 {area} {n}", "area_code": area, "ownership": "public",
            "capacity": capacity}


def day_care_at_city(containers):
    return call(containers["fushun"], "statistics", "2104")["facilities_by_kind"].get("day_care_centre", 0)


def test_reference_data_comes_down_and_every_village_reaches_the_city(network):
    _, _, containers = network
    # Each node holds the areas it lies in or encloses, nothing of its siblings'.
    assert areas_at(containers["xinfu-s03-c001"]) == {"2104", "210402", "210402003", "210402003001"}
    assert areas_at(containers["wanghua"]) == {"2104", "210403"}
    assert len(areas_at(containers["xinfu"])) == 1 + 1 + 2 + 4
    # A record the city keeps for the whole city (its dispatch centre) reaches every village.
    dispatch = call(containers["fushun"], "register_facility", facility("2104", kind="dispatch_centre"))
    for node_id, *_ in VILLAGES:
        wait_for(lambda c=containers[node_id]: store_of(c).stream_version(f"facility-{dispatch['facility_id']}") == 1,
                 timeout=30, message=f"the city's dispatch centre at {node_id}")
    # What each village records climbs tier by tier to the city, origin kept.
    for node_id, _, area, _ in VILLAGES:
        call(containers[node_id], "register_facility", facility(area))
    wait_for(lambda: day_care_at_city(containers) == 4, timeout=60, message="every village's facility at the city")
    at_city = [e for e in store_of(containers["fushun"]).read_all(0, 10_000) if e.type.endswith("FacilityRegistered")]
    assert {e.origin_node for e in at_city} == {"fushun"} | {v[0] for v in VILLAGES}
    # ... and not sideways: a village never holds its sibling's records.
    sibling = [e for e in store_of(containers["xinfu-s03-c001"]).read_all(0, 10_000)
               if e.area_code == "210402003002"]
    assert sibling == []


def test_a_village_offline_catches_up_once_and_a_repeat_changes_nothing(network):
    net, proxy, containers = network
    for node_id, _, area, _ in VILLAGES:
        call(containers[node_id], "register_facility", facility(area))
    wait_for(lambda: day_care_at_city(containers) == 4, timeout=60)

    proxy.cut()
    offline = containers[OFFLINE]
    for n in (2, 3):
        call(offline, "register_facility", facility("210402004002", n=n))  # works while cut off
    assert day_care_at_city(containers) == 4
    assert sync_status(offline.config)["services"]["registry"]["sending"]["up:xinfu-s04"]["backlog"] == 2

    proxy.restore()
    wait_for(lambda: day_care_at_city(containers) == 6, timeout=60, message="the offline village's records at the city")
    city_ids = [e.id for e in store_of(containers["fushun"]).read_all(0, 100_000)]
    assert len(city_ids) == len(set(city_ids))
    offline_ids = {e.id for e in store_of(offline).read_all(0, 10_000) if e.origin_node == OFFLINE}
    assert offline_ids <= set(city_ids)

    heads = {node_id: store_of(c).head_position() for node_id, c in containers.items()}
    before = duplicates_dropped(containers)
    resent = 0
    for container in containers.values():  # every link of every node starts again from 0
        provider = provider_of(container)
        events = provider.store.read_all(0, 100_000)
        for relay in provider.sync.relays:
            resent += sum(1 for e in events if relay.link.select(e))
            relay.resend_from(0)
    wait_for(lambda: duplicates_dropped(containers) >= before + resent, timeout=90,
             message=f"all {resent} re-sent events recognised as already stored")
    assert {node_id: store_of(c).head_position() for node_id, c in containers.items()} == heads
    for node_id in containers:  # and nothing was parked on the way
        assert get_all(net.nodes[node_id].amqp_uri(), "eldernet.registry.receive_synced.dlq") == []


def duplicates_dropped(containers):
    return sum(REGISTRY.get_sample_value("eldernet_events_duplicates_total",
                                         {"node": node_id, "service": "registry", "handler": "receive_synced"}) or 0
               for node_id in containers)
