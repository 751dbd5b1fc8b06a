"""Tiered sync over one link, both ways (issue #4): a town node and its village node, each with its
own vhost and broker user on the real broker, the village's link going through a proxy the test
cuts. The area tree comes down from the town; the village's records go up; the village keeps
working while cut off; everything arrives once; lost messages are found and re-sent; nothing
from a sender that may not say it is stored; and each record is written only at its home node."""
import json
import uuid

import pika
import pytest
from prometheus_client import REGISTRY

from shared import cursors
from shared.sync_link import received_cursor
from shared.aggregate import Rejected
from shared.sync_status import sync_status
from shared.topology import SYNC_EXCHANGE
from services.registry.service import RegistryService
from tests.support.broker import get_all, wait_for
from shared.local_network import LocalNetwork
from tests.support.tcp_proxy import TcpProxy
from tests.support.nodes import call, provider_of, store_of

TOWN_TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
             {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
             {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
             {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"},
             {"code": "210402003002", "name": "新华社区", "tier": "village", "parent": "210402003"}]
VILLAGE = "210402003001"
UP = {"node": "xinfu-s03", "service": "registry", "handler": "receive_synced"}


@pytest.fixture
def network(container_factory, node_config, tmp_path):
    """The town (top of this little network) and its village, whose link can be cut."""
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    proxy = TcpProxy()
    net.add("xinfu-s03", "town", "210402003")
    net.add("xinfu-s03-c001", "village", VILLAGE, parent="xinfu-s03", proxy=proxy)
    town = container_factory(RegistryService, net.config("xinfu-s03"))
    village = container_factory(RegistryService, net.config("xinfu-s03-c001"))
    town.start()
    village.start()
    call(town, "import_areas", TOWN_TREE)
    wait_for(lambda: area_codes(village) == {"2104", "210402", "210402003", VILLAGE},
             message="the village's part of the area tree to come down from the town")
    yield net, town, village
    village.stop()
    town.stop()
    proxy.close()
    net.close()


def area_codes(container):
    return {e.data["code"] for e in store_of(container).read_all(0, 10_000) if e.type.endswith("AreaRegistered")}


def facility(n, area=VILLAGE):
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": area,
            "ownership": "public", "capacity": {"day_places": 20}}


def village_kinds(town):
    return call(town, "statistics", "210402003")["facilities_by_kind"].get("day_care_centre", 0)


def village_ids(container):
    return {e.id for e in store_of(container).read_all(0, 10_000) if e.origin_node == "xinfu-s03-c001"}


def town_ids(town):
    return [e.id for e in store_of(town).read_all(0, 10_000)]


def sample(name, labels):
    return REGISTRY.get_sample_value(name, labels) or 0


def test_the_area_tree_comes_down_only_where_it_belongs(network):
    _, town, village = network
    # The sibling village's area stays at the town; the village got what lies in or encloses it.
    assert "210402003002" not in area_codes(village)
    origins = {e.origin_node for e in store_of(village).read_all(0, 10_000)}
    assert origins == {"xinfu-s03"}  # stored as the town recorded them, ids and origin kept
    town_events = {e.id for e in store_of(town).read_all(0, 10_000)}
    assert {e.id for e in store_of(village).read_all(0, 10_000)} <= town_events


def test_the_village_keeps_working_offline_and_the_town_gets_everything_once(network):
    net, town, village = network
    link = net.nodes["xinfu-s03-c001"].proxy
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1, message="the village's facility in the town's statistics")

    link.cut()
    for n in (2, 3):
        created = call(village, "register_facility", facility(n))  # the village goes on working, cut off
    call(village, "change_facility", created["facility_id"], "suspend", {"reason": "burst pipe"})
    assert village_kinds(town) == 1                     # the town has not seen them yet
    up = sync_status(village.config)["services"]["registry"]["sending"]["up:xinfu-s03"]
    assert up["backlog"] == 3 and up["lag_seconds"] >= 0  # what `eldernet sync status` shows
    gauge = {"node": "xinfu-s03-c001", "service": "registry", "link": "up:xinfu-s03"}
    assert REGISTRY.get_sample_value("eldernet_sync_backlog", gauge) == 3  # what Prometheus sees
    assert REGISTRY.get_sample_value("eldernet_sync_lag_seconds", gauge) > 0

    link.restore()
    wait_for(lambda: village_kinds(town) == 3, timeout=60, message="the backlog to arrive after the link is back")
    wait_for(lambda: sync_status(village.config)["services"]["registry"]["sending"]["up:xinfu-s03"]["backlog"] == 0,
             message="the cursor to move")
    wait_for(lambda: REGISTRY.get_sample_value("eldernet_sync_backlog", gauge) == 0, message="the gauge to drop")
    assert REGISTRY.get_sample_value("eldernet_sync_lag_seconds", gauge) == 0
    ids = town_ids(town)
    assert village_ids(village) <= set(ids) and len(ids) == len(set(ids))
    suspended = store_of(town).read_stream(f"facility-{created['facility_id']}")
    assert [e.type.rsplit(".", 1)[1] for e in suspended] == ["FacilityRegistered", "FacilitySuspended"]


def test_a_repeat_of_the_whole_sync_changes_nothing(network):
    _, town, village = network
    for n in (1, 2):
        call(village, "register_facility", facility(n))
    wait_for(lambda: village_kinds(town) == 2, message="the first sync")
    town_head, village_head = store_of(town).head_position(), store_of(village).head_position()
    before = sample("eldernet_events_duplicates_total", UP)
    for container, name in ((village, "sync:up:xinfu-s03"), (town, "sync:down:xinfu-s03-c001")):
        with store_of(container).engine.begin() as conn:  # as if both had lost their link cursors
            cursors.advance(conn, name, 0)
            cursors.advance(conn, name + ":sent", 0)
    resent = len(village_ids(village))
    wait_for(lambda: sample("eldernet_events_duplicates_total", UP) >= before + resent,
             timeout=60, message="every re-sent event recognised as already stored")
    assert store_of(town).head_position() == town_head and village_kinds(town) == 2
    assert store_of(village).head_position() == village_head


def test_lost_messages_are_noticed_and_sent_again(network):
    """Anti-entropy: two events leave the village's store but never reach the town (as if the
    broker had lost them); the town sees the gap in the link's chain on the next message and
    asks the village to re-send from what it has."""
    net, town, village = network
    link = net.nodes["xinfu-s03-c001"].proxy
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1)
    gaps = {"node": "xinfu-s03", "service": "registry", "link": "up:xinfu-s03-c001"}
    before = sample("eldernet_sync_gaps_total", gaps)
    link.cut()
    for n in (2, 3):
        call(village, "register_facility", facility(n))
    relay = provider_of(village).uplink
    with store_of(village).engine.begin() as conn:  # "sent", and lost on the way
        head = store_of(village).head_position(conn)
        cursors.advance(conn, relay.link.cursor, head)
        cursors.advance(conn, relay.link.sent_cursor, head)
    link.restore()
    call(village, "register_facility", facility(4))  # its chain points past what the town has
    wait_for(lambda: village_kinds(town) == 4, timeout=60, message="the lost ones re-sent after the gap")
    assert sample("eldernet_sync_gaps_total", gaps) > before
    ids = town_ids(town)
    assert village_ids(village) <= set(ids) and len(ids) == len(set(ids))


def test_only_a_child_may_speak_for_its_area_and_subtree(network, node_config):
    net, town, village = network
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1)
    head = store_of(town).head_position()
    genuine = next(e for e in store_of(village).read_all(0, 1000) if e.type.endswith("FacilityRegistered"))
    village_node, town_node = net.nodes["xinfu-s03-c001"], net.nodes["xinfu-s03"]
    as_village = village_node.amqp_uri(vhost=town_node.vhost)
    outside = genuine.replace(id=str(uuid.uuid4()), area_code="210402003002", stream_id="facility-forged",
                              subject="facility-forged", stream_version=1)
    not_from_below = genuine.replace(id=str(uuid.uuid4()), origin_node="fushun", origin_area="2104",
                                     stream_id="facility-forged-2", subject="facility-forged-2")
    publish(as_village, village_node.user, outside)
    publish(as_village, village_node.user, not_from_below)
    publish(town_node.amqp_uri(), town_node.user, genuine.replace(id=str(uuid.uuid4())))  # not a child at all
    dead = wait_for(lambda: (lambda m: m if len(m) >= 3 else None)(get_all(town_node.amqp_uri(),
                    "eldernet.registry.receive_synced.dlq")), message="the three parked")
    reasons = sorted(m.properties["application_headers"]["x-eldernet-dead-reason"] for m in dead)
    assert any("outside the child's area" in r for r in reasons)
    assert any("outside the child's subtree" in r for r in reasons)
    assert any("is not a child of this node" in r for r in reasons)
    assert {m.properties["application_headers"]["x-eldernet-dead-stage"] for m in dead} == {"refused"}
    assert store_of(town).head_position() == head
    call(village, "register_facility", facility(2))  # and the link still works
    wait_for(lambda: village_kinds(town) == 2, message="a genuine record after the refusals")


def test_a_sibling_cannot_publish_as_another_node(network):
    """The broker itself refuses a message whose user_id is not the publishing user."""
    net, _, _ = network
    village_node, town_node = net.nodes["xinfu-s03-c001"], net.nodes["xinfu-s03"]
    as_village = village_node.amqp_uri(vhost=town_node.vhost)
    with pytest.raises(pika.exceptions.AMQPError):
        publish(as_village, "xinfu-s03-c002", b"{}", routing_key="eldernet.registry.FacilityRegistered")


def test_each_record_is_written_only_at_its_home_node(network):
    _, town, village = network
    with pytest.raises(Rejected) as at_village:
        call(village, "import_areas", [{"code": "210402003003", "name": "新村", "tier": "village",
                                        "parent": "210402003"}])
    assert "home node xinfu-s03" in str(at_village.value)  # the area tree is kept above
    with pytest.raises(Rejected) as at_town:
        call(town, "register_facility", facility(1))
    assert "home node xinfu-s03-c001" in str(at_town.value)  # the village's own records are its own
    call(town, "register_facility", facility(2, area="210402003002"))  # no node there: the town is home


def publish(amqp_uri, user_id, event, routing_key=None):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        body = event if isinstance(event, bytes) else event.to_json()
        # No link headers: the trust checks come first and park it, whatever the chain says.
        channel.basic_publish(SYNC_EXCHANGE, routing_key or event.routing_key, body, pika.BasicProperties(
            delivery_mode=2, content_type="application/cloudevents+json", user_id=user_id))
    finally:
        connection.close()
    return json.loads(body) if body != b"{}" else None


def test_an_operator_reconciles_a_link_from_either_end(network):
    """`eldernet sync reconcile`: the peer re-sends everything it holds for this node; what is
    here already is dropped, nothing changes (a restored or doubted store would be filled in)."""
    from shared.sync_reconcile import reconcile

    _, town, village = network
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1)
    town_head, village_head = store_of(town).head_position(), store_of(village).head_position()
    from_village = sample("eldernet_events_duplicates_total", UP)
    down = {"node": "xinfu-s03-c001", "service": "registry", "handler": "receive_synced"}
    from_town = sample("eldernet_events_duplicates_total", down)

    assert "registry: asked xinfu-s03-c001 to re-send everything after its position 0" in reconcile(
        town.config, "xinfu-s03-c001")
    reconcile(village.config, "xinfu-s03")
    wait_for(lambda: sample("eldernet_events_duplicates_total", UP) >= from_village + len(village_ids(village)),
             timeout=30, message="the village's events re-sent and dropped at the town")
    came_down = len([e for e in store_of(village).read_all(0, 10_000) if e.origin_node == "xinfu-s03"])
    wait_for(lambda: sample("eldernet_events_duplicates_total", down) >= from_town + came_down,
             timeout=30, message="the town's events re-sent and dropped at the village")
    assert (store_of(town).head_position(), store_of(village).head_position()) == (town_head, village_head)
    with pytest.raises(Exception, match="not a neighbour of node xinfu-s03"):
        reconcile(town.config, "fushun")


# -- faults found in review ---------------------------------------------------------------
def test_one_refused_event_does_not_stall_the_uplink(network):
    net, town, village = network
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1)
    genuine = next(e for e in store_of(village).read_all(0, 1000) if e.type.endswith("FacilityRegistered"))
    legacy_id = str(uuid.uuid4())
    legacy = genuine.replace(id=str(uuid.uuid4()), stream_id=f"facility-{legacy_id}", subject=f"facility-{legacy_id}",
                             data=dict(genuine.data, facility_id=legacy_id),
                             origin_area=None, position=None, recorded_time=None)
    store_of(village).append(legacy.stream_id, 0, [legacy])  # e.g. imported before origin_area existed
    second = call(village, "register_facility", facility(2))
    # an event from before origin_area existed is taken as the village's own, and what follows flows
    wait_for(lambda: store_of(town).read_stream(f"facility-{second['facility_id']}"), timeout=30,
             message="facility 2 to reach the town")
    assert store_of(town).read_stream(legacy.stream_id)[0].id == legacy.id


def publish_chained(amqp_uri, user_id, event, prev, pos):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(SYNC_EXCHANGE, event.routing_key, event.to_json(), pika.BasicProperties(
            delivery_mode=2, content_type="application/cloudevents+json", user_id=user_id,
            headers={"x-eldernet-link-prev": prev, "x-eldernet-link-pos": pos}))
    finally:
        connection.close()


def test_a_child_cannot_append_to_a_record_in_a_siblings_area(network):
    net, town, village = network
    sibling = call(town, "register_facility", facility(9, area="210402003002"))  # the town is its home
    stream = f"facility-{sibling['facility_id']}"
    own = call(village, "register_facility", facility(1))
    call(village, "change_facility", own["facility_id"], "suspend", {"reason": "burst pipe"})
    wait_for(lambda: len(store_of(town).read_stream(f"facility-{own['facility_id']}")) == 2)
    suspended = store_of(village).read_stream(f"facility-{own['facility_id']}")[-1]
    forged = suspended.replace(id=str(uuid.uuid4()), stream_id=stream, subject=stream, stream_version=2,
                               data=dict(suspended.data, facility_id=sibling["facility_id"]), position=None)
    village_node, town_node = net.nodes["xinfu-s03-c001"], net.nodes["xinfu-s03"]
    with store_of(town).engine.connect() as conn:
        have = cursors.get(conn, received_cursor("xinfu-s03-c001"))
    publish_chained(village_node.amqp_uri(vhost=town_node.vhost), village_node.user, forged, have, have + 1)
    dead = wait_for(lambda: [m for m in get_all(town_node.amqp_uri(), "eldernet.registry.receive_synced.dlq")
                             if json.loads(m.body)["id"] == forged.id], message="the forged write parked")
    assert "a record not written in the child's subtree" in dead[0].properties["application_headers"][
        "x-eldernet-dead-reason"]
    assert [e.origin_node for e in store_of(town).read_stream(stream)] == ["xinfu-s03"]
    call(village, "register_facility", facility(2))  # the link moved past it
    wait_for(lambda: village_kinds(town) == 2, message="a genuine record after the parked one")


def test_the_village_survives_an_event_without_origin_area_from_its_town(network):
    _, town, village = network
    area = next(e for e in store_of(town).read_all(0, 1000)
                if e.type.endswith("AreaRegistered") and e.data["code"] == "210402003")
    legacy = area.replace(id=str(uuid.uuid4()), stream_id="area-legacy", subject="area-legacy", data=dict(area.data, code="210402003999"),
                          origin_area=None, position=None, recorded_time=None)
    store_of(town).append("area-legacy", 0, [legacy])
    call(town, "register_facility", facility(7, area="210402003002"))  # wakes the relays
    wait_for(lambda: store_of(village).stream_version("area-legacy") == 1, timeout=30,
             message="the event without an origin area taken at the village")
    assert not village._died.ready(), "the village's registry container was killed"
