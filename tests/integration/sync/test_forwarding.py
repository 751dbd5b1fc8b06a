"""Single writer across a link (issue #4): an HTTP command sent to a node that is not the home of
the record it writes is forwarded to the home node and answered from there — down from a town to
its village, up from a village to its town — or refused with a 503 naming the home node when the
link is cut, and never executed later. A child cannot forward a command beyond its own area.
Real broker, two vhosts and broker users, the village's link through a proxy the test cuts."""
import json
import uuid

import amqp
import eventlet
import pika
import pytest
from prometheus_client import REGISTRY

from shared.forwarding import MAX_HOPS
from shared.forwarding_wire import (HOPS_HEADER, children_commands_queue, command_routing_key, commands_queue,
                                    replies_queue)
from shared.http_api import Principal
from shared.local_network import LocalNetwork
from shared.topology import SYNC_EXCHANGE
from services.registry.service import RegistryService
from tests.support.broker import get_all, wait_for
from tests.support.tcp_proxy import TcpProxy
from tests.support.nodes import call, store_of

TOWN, VILLAGE_NODE, VILLAGE = "xinfu-s03", "xinfu-s03-c001", "210402003001"
TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": VILLAGE, "name": "永安社区", "tier": "village", "parent": "210402003"},
        {"code": "210402003002", "name": "新华社区", "tier": "village", "parent": "210402003"}]
FORWARD_TIMEOUT = 3  # seconds; short, so the cut-link test does not wait the default 10


@pytest.fixture
def network(request, container_factory, node_config, tmp_path):
    """The town and its village, whose link can be cut; ``request.param``: the area tree."""
    tree = getattr(request, "param", TREE)
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    proxy = TcpProxy()
    net.add(TOWN, "town", "210402003")
    net.add(VILLAGE_NODE, "village", VILLAGE, parent=TOWN, proxy=proxy)
    town, village = (container_factory(RegistryService, config(net, node)) for node in (TOWN, VILLAGE_NODE))
    town.start()
    village.start()
    call(town, "import_areas", tree)
    expected = {row["code"] for row in tree if VILLAGE.startswith(row["code"])}
    wait_for(lambda: areas(village) == expected, message="the village's part of the area tree to come down")
    yield net, town, village
    village.stop()
    town.stop()
    proxy.close()
    net.close()


def config(net, node_id):
    node_config = net.config(node_id)
    node_config["ELDERNET"]["sync"]["forward_timeout"] = FORWARD_TIMEOUT
    return node_config


def http(container, method, path, body=None, area="210402003", **more):
    """A request as the node's gateway sends it to ``registry.http`` (shared/gateway.py api_request)."""
    principal = Principal("test-token", area, "operator").to_dict()
    return call(container, "http", {"method": method, "path": path, "query": {}, "body": body,
                                    "principal": principal, **more})


def stream(container, stream_id):
    return store_of(container).read_stream(stream_id)


def areas(container):
    return {e.data["code"] for e in store_of(container).read_all(0, 10_000) if e.type.endswith("AreaRegistered")}


def facility(area=VILLAGE, **more):
    return {"kind": "day_care_centre", "name": "日间照料中心", "area_code": area, "ownership": "public",
            "capacity": {"day_places": 20}, **more}


def refused(link):
    return REGISTRY.get_sample_value("eldernet_sync_refused_total",
                                     {"node": TOWN, "service": "registry", "link": link}) or 0


def test_a_command_sent_to_the_town_is_served_at_the_village_its_home(network):
    _, town, village = network
    answer = http(town, "POST", "/facilities", facility())
    assert answer["status"] == 201 and answer["body"]["area_code"] == VILLAGE
    facility_stream = f"facility-{answer['body']['facility_id']}"
    written = stream(village, facility_stream)
    assert [e.origin_node for e in written] == [VILLAGE_NODE]  # written at its home node
    came_up = wait_for(lambda: stream(town, facility_stream), message="the facility to come up by sync")
    assert [(e.id, e.origin_node) for e in came_up] == [(written[0].id, VILLAGE_NODE)]


def test_a_command_for_a_cut_off_village_is_refused_naming_it_and_never_executed_later(network):
    net, town, village = network
    link, town_node = net.nodes[VILLAGE_NODE].proxy, net.nodes[TOWN]
    heads = store_of(town).head_position(), store_of(village).head_position()
    stale = str(uuid.uuid4())
    link.cut()
    answer = http(town, "POST", "/facilities", facility(facility_id=stale))
    assert answer["status"] == 503
    error = answer["body"]["error"]
    assert (error["code"], error["home_node"]) == ("home_node_unreachable", VILLAGE_NODE)
    assert f"home node {VILLAGE_NODE}, which {TOWN} cannot reach" in error["message"]
    assert (store_of(town).head_position(), store_of(village).head_position()) == heads  # nothing stored

    link.restore()
    queue = commands_queue("registry", VILLAGE_NODE)
    wait_for(lambda: net.admin.queue(town_node.vhost, queue).get("consumers"), timeout=60,
             message="the village to drain its commands queue again")
    assert http(town, "POST", "/facilities", facility())["status"] == 201  # queued behind the stale one

    def both_counted():
        stats = net.admin.queue(town_node.vhost, queue).get("message_stats", {})
        return stats if stats.get("publish", 0) >= 2 and stats.get("deliver_get", 0) >= 1 else None
    stats = wait_for(both_counted, message="the broker's counts for the commands queue")
    assert stats["deliver_get"] == 1  # the stale command expired on the broker, undelivered
    assert not stream(village, f"facility-{stale}") and not stream(town, f"facility-{stale}")


@pytest.mark.parametrize("network", [[row for row in TREE if row["code"] != VILLAGE]], indirect=True)
def test_a_village_users_command_for_the_area_tree_is_served_at_the_town(network):
    """Areas are written at the top node (the city; here the town, which has no parent)."""
    _, town, village = network
    body = {"code": VILLAGE, "name": "永安社区", "tier": "village", "parent_code": "210402003"}
    answer = http(village, "POST", "/areas", body, area=VILLAGE)
    assert answer["status"] == 201 and answer["body"]["code"] == VILLAGE
    assert [e.origin_node for e in stream(town, f"area-{VILLAGE}")] == [TOWN]
    wait_for(lambda: VILLAGE in areas(village), message="the new area to come down to the village")


def test_a_village_started_while_its_town_is_away_refuses_the_towns_commands_at_once(network, container_factory):
    net, _, village = network
    village.stop()
    net.nodes[VILLAGE_NODE].proxy.cut()
    offline = container_factory(RegistryService, village.config)
    with eventlet.Timeout(10):
        offline.start()  # it does not wait for the town's broker
    body = {"code": "210402003003", "name": "新村", "tier": "village", "parent_code": "210402003"}
    with eventlet.Timeout(FORWARD_TIMEOUT):  # the link is down: no need to wait for an answer
        answer = http(offline, "POST", "/areas", body)
    assert answer["status"] == 503 and answer["body"]["error"]["home_node"] == TOWN
    with eventlet.Timeout(30):
        offline.stop()  # it stops without ever having reached the town


def test_a_command_is_not_forwarded_past_the_hop_limit(network):
    _, _, village = network
    body = {"code": "210402003003", "name": "新村", "tier": "village", "parent_code": "210402003"}
    via = [f"node-{n}" for n in range(MAX_HOPS)]
    answer = http(village, "POST", "/areas", body, area="210402003",
                  forwarded={"hops": MAX_HOPS, "via": via, "timeout": FORWARD_TIMEOUT})
    assert answer["status"] == 409
    error = answer["body"]["error"]
    assert (error["code"], error["home_node"]) == ("not_home_node", TOWN)
    assert "not forwarded again" in error["message"]


def test_a_child_cannot_forward_a_command_beyond_its_own_area(network):
    net, town, village = network
    village.stop()  # the test reads the village's answers itself
    village_node, town_node = net.nodes[VILLAGE_NODE], net.nodes[TOWN]
    head, before = store_of(town).head_position(), (refused(f"up:{VILLAGE_NODE}"), refused("unknown"))
    # The sibling village's area has no node: the town is its home, and a town operator could
    # register a facility there. The village claims to speak for one.
    forged = {"method": "POST", "path": "/facilities", "query": {}, "body": facility(area="210402003002"),
              "principal": Principal("forged", "210402003", "admin").to_dict()}
    as_village = village_node.amqp_uri(vhost=town_node.vhost)
    publish_command(as_village, village_node.user, forged)
    publish_command(town_node.amqp_uri(), town_node.user, forged)  # not from a child at all
    answers = wait_for(lambda: get_all(as_village, replies_queue("registry", VILLAGE_NODE)),
                       message="the town's answer to the village")
    response = json.loads(answers[0].body)
    assert response["status"] == 403 and response["body"]["error"]["code"] == "forbidden"
    assert "inside its area 210402003001, not of area 210402003" in response["body"]["error"]["message"]
    wait_for(lambda: (refused(f"up:{VILLAGE_NODE}"), refused("unknown")) == (before[0] + 1, before[1] + 1),
             message="both refusals counted")
    assert store_of(town).head_position() == head
    for not_its_own in (commands_queue("registry", "xinfu-s03-c002"), children_commands_queue("registry")):
        with pytest.raises(amqp.exceptions.AccessRefused):  # BrokerAdmin.grant_child_link
            get_all(as_village, not_its_own)


def publish_command(amqp_uri, user_id, request):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(SYNC_EXCHANGE, command_routing_key("registry"), json.dumps(request).encode(),
                              pika.BasicProperties(user_id=user_id, correlation_id=uuid.uuid4().hex,
                                                   expiration="10000", headers={HOPS_HEADER: 1}))
    finally:
        connection.close()
