"""Tiered sync, upward (first slice of issue #4): a village node's registry forwards its events to
its town node's registry over the real broker; the village keeps working while its link is cut,
everything arrives once after it comes back, and a repeat of the whole sync changes nothing."""
import copy
import uuid

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY

from shared import cursors
from shared.broker_admin import BrokerAdmin
from shared.dependencies import EventSourced
from shared.sync_status import sync_status
from services.registry.service import RegistryService
from tests.support.broker import wait_for
from tests.support.tcp_proxy import TcpProxy

TOWN_TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
             {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
             {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"}]
VILLAGE = {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"}


@pytest.fixture
def link():
    proxy = TcpProxy()
    yield proxy
    proxy.close()


@pytest.fixture
def network(container_factory, node_config, tmp_path, link):
    """A town node (the test's vhost) and a village node (its own vhost) whose uplink to the
    town's broker goes through a proxy the test can cut."""
    town_config = copy.deepcopy(node_config)
    town_config["ELDERNET"]["node"] = {"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"}
    town_config["ELDERNET"]["data_dir"] = str(tmp_path / "town")
    town_uri = node_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    village_vhost = f"eldernet-test-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin()
    admin.ensure_vhost(village_vhost)
    village_config = copy.deepcopy(node_config)
    village_config["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:5672/{village_vhost}"
    village_config["ELDERNET"]["node"] = {"id": "xinfu-s03-c001", "tier": "village", "area_code": "210402003001",
                                          "parent": "xinfu-s03"}
    village_config["ELDERNET"]["data_dir"] = str(tmp_path / "village")
    village_config["ELDERNET"]["sync"] = {"parent_amqp_uri": town_uri.replace(":5672", f":{link.port}")}
    town = container_factory(RegistryService, town_config)
    village = container_factory(RegistryService, village_config)
    town.start()
    village.start()
    call(town, "import_areas", TOWN_TREE)
    call(village, "import_areas", TOWN_TREE + [VILLAGE])
    yield town, village
    village.stop()
    admin.delete_vhost(village_vhost)


def call(container, method, *args):
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def store_of(container):
    return next(d for d in container.dependencies if isinstance(d, EventSourced)).store


def facility(n):
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": VILLAGE["code"],
            "ownership": "public", "capacity": {"day_places": 20}}


def village_kinds(town):
    return call(town, "statistics", "210402003")["facilities_by_kind"].get("day_care_centre", 0)


def forwarded_ids(village):
    return {e.id for e in store_of(village).read_all(0, 10_000) if e.area_code.startswith(VILLAGE["code"])}


def town_ids(town):
    return [e.id for e in store_of(town).read_all(0, 10_000)]


def test_the_village_keeps_working_offline_and_the_town_gets_everything_once(network, link):
    town, village = network
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1, message="the village's facility in the town's statistics")

    link.cut()
    for n in (2, 3):
        created = call(village, "register_facility", facility(n))  # the village goes on working, cut off
    call(village, "change_facility", created["facility_id"], "suspend", {"reason": "burst pipe"})
    assert village_kinds(town) == 1                     # the town has not seen them yet
    waiting = sync_status(village.config)["services"]["registry"]
    assert waiting["backlog"] == 3 and waiting["lag_seconds"] >= 0  # what `eldernet sync status` shows
    gauge = {"node": "xinfu-s03-c001", "service": "registry"}
    assert REGISTRY.get_sample_value("eldernet_sync_backlog", gauge) == 3  # what Prometheus sees

    link.restore()
    wait_for(lambda: village_kinds(town) == 3, timeout=60, message="the backlog to arrive after the link is back")
    wait_for(lambda: sync_status(village.config)["services"]["registry"]["backlog"] == 0, message="the cursor to move")
    wait_for(lambda: REGISTRY.get_sample_value("eldernet_sync_backlog", gauge) == 0, message="the gauge to drop")
    ids = town_ids(town)
    assert forwarded_ids(village) <= set(ids) and len(ids) == len(set(ids))
    suspended = store_of(town).read_stream(f"facility-{created['facility_id']}")
    assert [e.type.rsplit(".", 1)[1] for e in suspended] == ["FacilityRegistered", "FacilitySuspended"]
    origins = {e.origin_node for e in store_of(town).read_all(0, 10_000) if e.area_code.startswith(VILLAGE["code"])}
    assert origins == {"xinfu-s03-c001"}  # origin and ids kept


def test_a_repeat_of_the_whole_sync_changes_nothing(network):
    town, village = network
    for n in (1, 2):
        call(village, "register_facility", facility(n))
    wait_for(lambda: village_kinds(town) == 2, message="the first sync")
    head = store_of(town).head_position()
    labels = {"node": "xinfu-s03", "service": "registry", "handler": "receive_synced"}
    before = REGISTRY.get_sample_value("eldernet_events_duplicates_total", labels) or 0
    with store_of(village).engine.begin() as conn:  # as if the village had lost its sync cursor
        cursors.advance(conn, "sync:up", 0)
    resent = len(forwarded_ids(village))
    wait_for(lambda: (REGISTRY.get_sample_value("eldernet_events_duplicates_total", labels) or 0) >= before + resent,
             timeout=60, message="every re-sent event recognised as already stored")
    assert store_of(town).head_position() == head and village_kinds(town) == 2


def test_an_event_about_an_area_outside_the_parent_is_refused_and_parked(network, node_config):
    import json

    import pika

    from shared.topology import SYNC_EXCHANGE
    from tests.support.broker import get_all

    town, village = network
    call(village, "register_facility", facility(1))
    wait_for(lambda: village_kinds(town) == 1)
    head = store_of(town).head_position()
    genuine = next(e for e in store_of(village).read_all(0, 1000) if e.type.endswith("FacilityRegistered"))
    forged = genuine.replace(id=str(uuid.uuid4()), area_code="210403001001", stream_id="facility-forged",
                             subject="facility-forged", stream_version=1)
    town_uri = node_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)
    connection = pika.BlockingConnection(pika.URLParameters(town_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(SYNC_EXCHANGE, forged.routing_key, forged.to_json(),
                              pika.BasicProperties(delivery_mode=2, content_type="application/cloudevents+json"))
    finally:
        connection.close()
    dead = wait_for(lambda: get_all(town_uri, "eldernet.registry.receive_synced.dlq"), message="the forged event parked")
    headers = dead[0].properties["application_headers"]
    assert headers["x-eldernet-dead-stage"] == "refused" and "outside this node's area" in headers["x-eldernet-dead-reason"]
    assert json.loads(dead[0].body)["id"] == forged.id
    assert store_of(town).head_position() == head
