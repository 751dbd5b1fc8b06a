"""examples/subscribe_facilities.py as another team would run it: a real subprocess, with a broker user
that has only the rights docs/subscribing.md lists, on the vhost of a node whose registry service
publishes real events. It must print the facilities of its district and no other, once each, and
dead-letter what it cannot read."""
import copy
import subprocess
import sys
import uuid
from pathlib import Path

import amqp
import eventlet
import pytest

from shared.broker_admin import BrokerAdmin, vhost_of
from shared.topology import EVENTS_EXCHANGE
from services.registry.service import RegistryService
from tests.support.broker import Tap, get_all, wait_for
from tests.support.nodes import call, provider_of

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "subscribe_facilities.py"
# The rights of a subscribing team on a node's vhost, as docs/subscribing.md gives them.
CONFIGURE = WRITE = r"^acme\."
READ = r"^(eldernet\.events|acme\..*)$"
AREAS = [("2104", "抚顺市", "city", None), ("210402", "新抚区", "district", "2104"), ("210403", "东洲区", "district", "2104"),
         ("210402003", "永安台街道", "town", "210402"), ("210403001", "东洲街道", "town", "210403")]


@pytest.fixture
def registry(container_factory, node_config):
    """A city node's registry (the city is the home of every area and facility in it)."""
    config = copy.deepcopy(node_config)
    config["ELDERNET"]["node"] = {"id": "fushun", "tier": "city", "area_code": "2104", "parent": None}
    container = container_factory(RegistryService, config)
    container.start()
    call(container, "import_areas", [dict(zip(("code", "name", "tier", "parent"), row)) for row in AREAS])
    relay = provider_of(container).relay
    wait_for(lambda: relay.backlog() == 0, message="the areas published (so the node made eldernet.events)")
    return container


@pytest.fixture
def subscriber_uri(amqp_uri):
    """A broker user of the subscribing team's own, with the documented rights and no more."""
    admin, user, password = BrokerAdmin(), f"acme-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    admin.ensure_user(user, password)
    try:
        admin.grant(vhost_of(amqp_uri), user, configure=CONFIGURE, write=WRITE, read=READ)
        yield f"amqp://{user}:{password}@127.0.0.1:5672/{vhost_of(amqp_uri)}"
    finally:
        admin.delete_user(user)


def register_facility(registry, name, area_code):
    return call(registry, "register_facility", {
        "kind": "nursing_home", "name": name, "area_code": area_code, "ownership": "public",
        "capacity": {"general_beds": 10, "nursing_beds": 4}})


def start_example(amqp_uri, *args):
    process = subprocess.Popen([sys.executable, str(EXAMPLE), "--amqp-uri", amqp_uri, *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with eventlet.Timeout(20):
        ready = process.stderr.readline()
    assert ready.startswith("listening on queue acme.facilities"), ready + process.stderr.read()
    assert "eldernet.registry.FacilityRegistered.21.04.02.#" in ready
    return process


def test_prints_the_facilities_of_one_district_once_and_dead_letters_garbage(registry, amqp_uri, subscriber_uri):
    tap = Tap(amqp_uri, queue="test.tap", pattern="eldernet.registry.FacilityRegistered.#")
    example = start_example(subscriber_uri, "--district", "210402", "--queue", "acme.facilities", "--max", "2")
    try:
        register_facility(registry, "东洲区养老院", "210403001")  # another district: never routed to it
        first = register_facility(registry, "新抚区敬老院", "210402003")
        published = wait_for(lambda: [m for m in tap.drain() if first["facility_id"] in m.body],
                             message="the first facility's event on the exchange")[0]
        # What the network can do to a subscriber: the same event again (a re-sent batch) and a
        # message that is no event at all.
        tap.channel.basic_publish(amqp.Message(published.body), exchange=EVENTS_EXCHANGE,
                                  routing_key=published.delivery_info["routing_key"])
        tap.channel.basic_publish(amqp.Message(b"not json"), exchange=EVENTS_EXCHANGE,
                                  routing_key="eldernet.registry.FacilityRegistered.21.04.02.003")
        second = register_facility(registry, "永安社区日间照料中心", "210402003")
        out, err = example.communicate(timeout=30)
    finally:
        if example.poll() is None:
            example.kill()
            example.communicate()
        tap.close()
    assert example.returncode == 0, err
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("210402003  新抚区敬老院  (nursing_home, 14 beds") and first["facility_id"] in lines[0]
    assert second["facility_id"] in lines[1] and "东洲" not in out
    assert "duplicate" in err and "dead-lettering" in err
    assert [m.body for m in get_all(amqp_uri, "acme.facilities.dlq")] == [b"not json"]


def test_the_queue_keeps_what_was_registered_while_the_subscriber_was_away(registry, subscriber_uri):
    example = start_example(subscriber_uri, "--queue", "acme.facilities", "--max", "1")
    example.terminate()
    example.communicate(timeout=10)
    facility = register_facility(registry, "新抚区敬老院", "210402003")
    again = start_example(subscriber_uri, "--queue", "acme.facilities", "--max", "1")
    out, err = again.communicate(timeout=30)
    assert again.returncode == 0, err
    assert facility["facility_id"] in out
