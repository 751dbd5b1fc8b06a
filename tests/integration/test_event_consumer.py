"""An event appended in one nameko service is received, once, by a handler in another — over
the real RabbitMQ; duplicates are ignored, poison messages are dead-lettered with a reason and
the consumer goes on."""
import json

import pika
import pytest
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY

from shared.dependencies import EventSourced
from shared.entrypoints import consume_events
from shared.topology import (DEAD_ATTEMPTS_HEADER, DEAD_REASON_HEADER, DEAD_STAGE_HEADER, EVENTS_EXCHANGE)
from tests.support.broker import get_all, wait_for
from tests.support.ward import ward_events
from tests.support.wards_service import WardService

HANDLED: list = []
DLQ = "eldernet.census.on_ward_opened.dlq"


class CensusService:
    name = "census"
    uow = EventSourced(registry=ward_events())

    @consume_events("eldernet.test.WardOpened")
    def on_ward_opened(self, event):
        HANDLED.append(event.id)
        if event.data["ward_id"].startswith("poison"):
            raise RuntimeError(f"cannot count ward {event.data['ward_id']}")
        with self.uow():
            pass  # the inbox entry is recorded in this transaction


@pytest.fixture
def network(container_factory, node_config):
    HANDLED.clear()
    wards = container_factory(WardService, node_config)
    census = container_factory(CensusService, node_config)
    wards.start()
    census.start()
    return wards, census


def open_ward(container, ward_id, beds=10):
    with entrypoint_hook(container, "open_ward") as call:
        return call(ward_id, beds)[0]


def metric(name, **labels):
    labels = {"node": "xinfu", "service": "census", "handler": "on_ward_opened", **labels}
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _stored_event(wards):
    from shared.events import Event

    with entrypoint_hook(wards, "stored") as stored:
        return Event.from_cloudevent(stored()[0])


def publish_raw(amqp_uri, body, routing_key="eldernet.test.WardOpened.21.04.02", **properties):
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(EVENTS_EXCHANGE, routing_key, body,
                              pika.BasicProperties(delivery_mode=2, **properties))
    finally:
        connection.close()


def test_an_event_appended_in_one_service_is_handled_once_in_another(network):
    wards, census = network
    event_id = open_ward(wards, "w1")
    wait_for(lambda: event_id in HANDLED, message="census to handle WardOpened")
    inbox = next(d for d in census.dependencies if isinstance(d, EventSourced))
    wait_for(lambda: inbox.seen("census.on_ward_opened", _stored_event(wards)), message="inbox entry committed")
    assert HANDLED.count(event_id) == 1
    with entrypoint_hook(wards, "stored") as stored:
        assert [ce["id"] for ce in stored()] == [event_id]


def test_a_duplicate_delivery_is_ignored(network, amqp_uri):
    wards, _ = network
    event_id = open_ward(wards, "w1")
    wait_for(lambda: event_id in HANDLED)
    duplicates = metric("eldernet_events_duplicates_total")
    with entrypoint_hook(wards, "stored") as stored:
        cloudevent = stored()[0]
    publish_raw(amqp_uri, json.dumps(cloudevent).encode(), content_type="application/cloudevents+json")
    wait_for(lambda: metric("eldernet_events_duplicates_total") > duplicates, message="duplicate counted")
    assert HANDLED.count(event_id) == 1


def test_a_malformed_message_goes_to_the_dead_letter_queue_and_the_consumer_goes_on(network, amqp_uri):
    wards, _ = network
    publish_raw(amqp_uri, b"{this is not json", content_type="text/plain")
    dead = wait_for(lambda: get_all(amqp_uri, DLQ), message="the malformed message in the DLQ")
    assert dead[0].body == b"{this is not json"
    headers = dead[0].properties["application_headers"]
    assert headers[DEAD_STAGE_HEADER] == "parse" and "body" in headers[DEAD_REASON_HEADER]
    event_id = open_ward(wards, "w2")
    wait_for(lambda: event_id in HANDLED, message="the next event handled after the poison one")


def test_a_payload_failing_its_schema_is_dead_lettered_naming_the_field(network, amqp_uri):
    wards, _ = network
    open_ward(wards, "w3")
    with entrypoint_hook(wards, "stored") as stored:
        cloudevent = stored()[0]
    cloudevent.update(id="forged-1", data={"ward_id": "w3"})  # "beds" is missing
    publish_raw(amqp_uri, json.dumps(cloudevent).encode())
    dead = wait_for(lambda: get_all(amqp_uri, DLQ), message="invalid payload in the DLQ")
    headers = dead[0].properties["application_headers"]
    assert headers[DEAD_STAGE_HEADER] == "validate" and "data.beds" in headers[DEAD_REASON_HEADER]
    assert "forged-1" not in HANDLED


def test_an_oversize_message_is_dead_lettered_unread_naming_the_limit(network, amqp_uri):
    wards, _ = network
    open_ward(wards, "w4")
    with entrypoint_hook(wards, "stored") as stored:
        cloudevent = stored()[0]
    cloudevent.update(id="huge-1", data={"ward_id": "w4", "beds": 10, "notes": "床" * 600_000})
    publish_raw(amqp_uri, json.dumps(cloudevent, ensure_ascii=False).encode())
    dead = wait_for(lambda: get_all(amqp_uri, DLQ), message="the oversize message in the DLQ")
    headers = dead[0].properties["application_headers"]
    assert headers[DEAD_STAGE_HEADER] == "parse"
    assert "more than the limit of 1048576 (ELDERNET.consumer.max_message_bytes)" in headers[DEAD_REASON_HEADER]
    assert "huge-1" not in HANDLED
    event_id = open_ward(wards, "w5")
    wait_for(lambda: event_id in HANDLED, message="the consumer goes on")


def test_a_newer_schema_version_than_the_service_knows_is_dead_lettered(network, amqp_uri):
    wards, _ = network
    open_ward(wards, "w6")
    with entrypoint_hook(wards, "stored") as stored:
        cloudevent = stored()[0]
    cloudevent.update(id="future-1", schemaversion=7)
    publish_raw(amqp_uri, json.dumps(cloudevent).encode())
    dead = wait_for(lambda: get_all(amqp_uri, DLQ), message="the message from the future in the DLQ")
    headers = dead[0].properties["application_headers"]
    assert headers[DEAD_STAGE_HEADER] == "validate"
    assert "version 7 is newer than this service knows (1); upgrade the service" in headers[DEAD_REASON_HEADER]
    assert "future-1" not in HANDLED


def test_a_handler_that_keeps_failing_is_retried_then_dead_lettered(network, amqp_uri):
    wards, _ = network
    event_id = open_ward(wards, "poison-ward")
    dead = wait_for(lambda: get_all(amqp_uri, DLQ), message="the failing event in the DLQ")
    headers = dead[0].properties["application_headers"]
    assert headers[DEAD_STAGE_HEADER] == "handler" and "cannot count ward poison-ward" in headers[DEAD_REASON_HEADER]
    assert headers[DEAD_ATTEMPTS_HEADER] == 3
    assert HANDLED.count(event_id) == 3  # max_attempts in the node config, not forever
    later = open_ward(wards, "w4")
    wait_for(lambda: later in HANDLED, message="the consumer still consuming")


def test_events_published_before_a_consumer_starts_wait_in_its_declared_queue(container_factory, node_config):
    from shared.entrypoints import consumer_queues_of, declare_consumer_queues

    HANDLED.clear()
    declare_consumer_queues(node_config["AMQP_URI"], consumer_queues_of(CensusService))  # as the runner does
    wards = container_factory(WardService, node_config)
    wards.start()
    event_id = open_ward(wards, "early")
    inbox = next(d for d in wards.dependencies if isinstance(d, EventSourced))
    wait_for(lambda: inbox.relay.backlog() == 0, message="WardOpened published")
    census = container_factory(CensusService, node_config)
    census.start()
    wait_for(lambda: event_id in HANDLED, message="the late consumer to get the early event")


class TwoStepService:
    name = "twostep"
    uow = EventSourced(registry=ward_events())

    @consume_events("eldernet.test.WardOpened")
    def on_ward_opened(self, event):
        with self.uow():
            pass
        with self.uow():  # refused: the inbox entry was committed with the first one
            HANDLED.append("second unit of work ran")


def test_a_consumer_may_not_write_in_a_second_unit_of_work(container_factory, node_config):
    HANDLED.clear()
    wards = container_factory(WardService, node_config)
    twostep = container_factory(TwoStepService, node_config)
    wards.start()
    twostep.start()
    open_ward(wards, "w9")
    provider = next(d for d in twostep.dependencies if isinstance(d, EventSourced))
    wait_for(lambda: metric("eldernet_events_duplicates_total", service="twostep") >= 1, timeout=30,
             message="the redelivery to be recognised as handled")
    assert "second unit of work ran" not in HANDLED and provider.store.head_position() == 0
