"""Alerts across the tiers with the real broker: a village, its town, district and city, each node
its own vhost, broker user and databases, the village's link through a TCP proxy the test can cut.
The checks are run by the test with its own clock (the nodes' timers are set to an hour), so each
deadline is passed exactly, without sleeping.

* an SOS nobody acknowledges goes village → town → district, and the village sees it went up;
* an acknowledgment at the town stops it, and the village sees who took it;
* with the village cut off after the SOS went up, the town and the district escalate it themselves
  (each in its own stream of the alert); when the village is back its own copy of the escalation
  changes nothing and the town's people were told once;
* a signal sent to the town's HTTP API is forwarded to the device's home node, the village.
"""
import uuid
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from shared.http_api import NotFound, Principal
from shared.local_network import LocalNetwork
from services.alerts.service import AlertsService
from tests.integration.alerts.builders import VILLAGE, Webhook, register, signal
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of
from tests.support.tcp_proxy import TcpProxy

NODES = [("fushun", "city", "2104", None), ("xinfu", "district", "210402", "fushun"),
         ("xinfu-s03", "town", "210402003", "xinfu"), ("xinfu-s03-c001", "village", VILLAGE, "xinfu-s03")]
CITY, DISTRICT, TOWN, VILLAGE_NODE = (n[0] for n in NODES)
LIMIT = timedelta(minutes=2)  # the default critical limit


@pytest.fixture
def network(container_factory, node_config, tmp_path):
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    proxy, webhook = TcpProxy(), Webhook()
    for node_id, tier, area, parent in NODES:
        net.add(node_id, tier, area, parent, proxy=proxy if node_id == VILLAGE_NODE else None)
    containers = {}
    for node_id, *_ in NODES:
        config = net.config(node_id)
        config["ELDERNET"]["alerts"] = {"check_interval": 3600}
        config["ELDERNET"]["sync"]["forward_timeout"] = 5
        if node_id == TOWN:
            config["ELDERNET"]["alerts"]["notifiers"] = [{"kind": "webhook", "url": webhook.url}]
        containers[node_id] = container_factory(AlertsService, config)
        containers[node_id].start()
    yield containers, proxy, webhook
    for node_id, *_ in reversed(NODES):  # children first: their links consume from the parents' brokers
        containers[node_id].stop()
    proxy.close()
    webhook.close()
    net.close()


def alert_at(container, alert_id):
    try:
        return call(container, "get_alert", alert_id)
    except NotFound:
        return None


def wait_until(container, alert_id, message, **expected):
    def matches():
        alert = alert_at(container, alert_id)
        return alert if alert and all(alert[k] == v for k, v in expected.items()) else None
    return wait_for(matches, timeout=30, message=message)


def sos(containers, device_id):
    """An SOS at the village, once the town and the district hold it; (alert id, when it was raised)."""
    register(containers[VILLAGE_NODE], device_id)
    [alarm] = call(containers[VILLAGE_NODE], "signal", signal(device_id))["alarms"]
    for node_id in (TOWN, DISTRICT):
        wait_until(containers[node_id], alarm["alert_id"], f"the SOS at {node_id}")
    raised_at = datetime.fromisoformat(call(containers[VILLAGE_NODE], "get_alert", alarm["alert_id"])["raised_at"])
    return alarm["alert_id"], raised_at


def check(container, at):
    return call(container, "check", at.isoformat())["escalated"]


def test_escalation_up_the_tiers_an_ack_at_the_town_and_a_village_cut_off(network):
    containers, proxy, webhook = network
    village, town, district = containers[VILLAGE_NODE], containers[TOWN], containers[DISTRICT]
    before = {node_id: escalations_to(node_id, tier) for node_id, tier in ((TOWN, "town"), (DISTRICT, "district"))}

    # 1. Nobody acknowledges: the village sends it to the town, the town to the district.
    alert_id, t0 = sos(containers, "btn-a")
    assert check(village, t0 + LIMIT - timedelta(seconds=1)) == []
    assert len(check(village, t0 + LIMIT)) == 1
    wait_until(town, alert_id, "the escalation at the town", status="escalated", tier="town")
    assert len(check(town, t0 + 2 * LIMIT)) == 1
    wait_until(district, alert_id, "the escalation at the district", tier="district")
    seen_below = wait_until(village, alert_id, "the village to see it went up", tier="district")
    assert (seen_below["status"], seen_below["reached"]) == ("escalated", "district")
    assert [e.type.rsplit(".", 1)[1] for e in store_of(district).read_stream(f"alert-{alert_id}.town")] == \
           ["AlertEscalated"]  # decided at the town, in the town's stream of the alert

    # 2. The town takes it on (over its HTTP API): it goes no further, and the village sees who took it.
    alert_id, t0 = sos(containers, "btn-b")
    check(village, t0 + LIMIT)
    wait_until(town, alert_id, "the escalation at the town", tier="town")
    operator = Principal("t", "210402003", "operator").to_dict()
    answer = call(town, "http", {"method": "POST", "path": f"/alerts/{alert_id}/acknowledge", "query": {},
                                 "body": {"by": "街道 张"}, "principal": operator})
    assert answer["status"] == 200 and answer["body"]["status"] == "acknowledged", answer
    wait_until(village, alert_id, "the town's acknowledgment at the village", status="acknowledged",
               acked_by="街道 张", acked_tier="town")
    wait_until(district, alert_id, "the town's acknowledgment at the district", status="acknowledged")
    late = t0 + 10 * LIMIT
    assert alert_id not in " ".join(check(town, late) + check(district, late) + check(containers[CITY], late))
    assert alert_at(district, alert_id)["tier"] == "town"

    # 3. The village is cut off after the SOS went up: the town and the district escalate it on their own.
    alert_id, t0 = sos(containers, "btn-c")
    proxy.cut()
    check(village, t0 + LIMIT)  # the village decides too, but cannot tell anyone above
    assert len(check(town, t0 + LIMIT)) == 1
    wait_until(district, alert_id, "the town's own escalation at the district", tier="town")
    assert len(check(district, t0 + 2 * LIMIT)) == 1
    assert alert_at(district, alert_id)["tier"] == "district"
    proxy.restore()
    wait_until(village, alert_id, "the district's escalation at the village", tier="district")
    wait_for(lambda: len(store_of(town).read_stream(f"alert-{alert_id}")) == 2, timeout=30,
             message="the village's own escalation (decided while cut off) at the town")
    assert alert_at(town, alert_id)["tier"] == "district"
    # Two copies of the escalation to the town reached the town (its own and the village's): told once.
    wait_for(lambda: len([n for n in webhook.of("escalated") if n["alert_id"] == alert_id]) == 2, timeout=30,
             message="the town told of both escalations of the third SOS")
    told = [(n["tier"], n["from_tier"]) for n in webhook.of("escalated") if n["alert_id"] == alert_id]
    assert sorted(told) == [("district", "town"), ("town", "village")]
    # Each escalation counted once, at the node of the tier it reached: three SOS to the town (the
    # third decided by the town and by the village), two on to the district.
    wait_for(lambda: escalations_to(TOWN, "town") - before[TOWN] == 3, message="three escalations to the town")
    wait_for(lambda: escalations_to(DISTRICT, "district") - before[DISTRICT] == 2, message="two to the district")
    assert escalations_to(TOWN, "town") - before[TOWN] == 3

    # 4. A gateway that reaches only the town: its HTTP signal is forwarded to the device's home node.
    register(village, "btn-d")
    wait_for(lambda: _device_at(town, "btn-d"), timeout=30, message="the device's registration at the town")
    answer = call(town, "http", {"method": "POST", "path": "/signals", "query": {}, "body": signal("btn-d"),
                                 "principal": operator})
    assert answer["status"] == 200 and answer["body"]["alarms"][0]["outcome"] == "raise", answer
    [raised] = store_of(village).read_stream(f"alert-{answer['body']['alarms'][0]['alert_id']}")
    assert raised.origin_node == VILLAGE_NODE


def _device_at(container, device_id):
    try:
        return call(container, "get_device", device_id)
    except NotFound:
        return None


def escalations_to(node_id, tier):
    labels = {"node": node_id, "severity": "critical", "to_tier": tier}
    return REGISTRY.get_sample_value("eldernet_alert_escalations_total", labels) or 0
