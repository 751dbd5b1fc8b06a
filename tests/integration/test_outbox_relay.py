"""The outbox relay against the real RabbitMQ: every committed event published, in order,
even when the broker connection is cut in the middle."""
import threading

import pytest

from shared.events import CONTENT_TYPE, Event
from shared.outbox import OutboxRelay
from shared.publisher import ConfirmedPublisher, PublishError
from shared.store import ANY_VERSION, EventStore
from shared.db import make_engine
from shared.topology import EVENTS_EXCHANGE
from tests.support.broker import Tap, wait_for
from tests.support.tcp_proxy import TcpProxy


def note(n):
    stream = f"s-{n % 7}"
    return Event(type="eldernet.test.Noted", source="/eldernet/xinfu/test", subject=stream, data={"n": n},
                 stream_id=stream, stream_version=1, origin_node="xinfu", area_code="210402001")


@pytest.fixture
def store(tmp_path):
    store = EventStore(make_engine(f"sqlite:///{tmp_path}/relay.db"))
    store.create_schema()
    yield store
    store.engine.dispose()


def append(store, numbers):
    for n in numbers:
        event = note(n)
        store.append(event.stream_id, ANY_VERSION, [event])


def published_numbers(tap):
    return [Event.from_json(m.body).data["n"] for m in tap.drain()]


def test_relay_publishes_everything_in_store_order_with_cloudevents_properties(store, amqp_uri):
    tap = Tap(amqp_uri)
    append(store, range(1200))
    relay = OutboxRelay(store, ConfirmedPublisher(amqp_uri, EVENTS_EXCHANGE), batch_size=500)
    assert relay.publish_pending() == 1200
    assert relay.backlog() == 0 and relay.cursor() == 1200
    wait_for(lambda: len(tap.drain()) >= 1200, message="1200 messages on the tap queue")
    assert [Event.from_json(m.body).data["n"] for m in tap.messages] == list(range(1200))
    first = tap.messages[0]
    stored = store.read_all(0, 1)[0]
    assert first.properties["content_type"] == CONTENT_TYPE
    assert first.properties["message_id"] == stored.id and first.properties["delivery_mode"] == 2
    assert first.delivery_info["routing_key"] == "eldernet.test.Noted.21.04.02.001"
    assert relay.publish_pending() == 0  # nothing twice
    tap.close()


def test_relay_resumes_from_its_cursor_after_a_restart(store, amqp_uri):
    tap = Tap(amqp_uri)
    append(store, range(10))
    OutboxRelay(store, ConfirmedPublisher(amqp_uri, EVENTS_EXCHANGE)).publish_pending()
    append(store, range(10, 15))
    restarted = OutboxRelay(store, ConfirmedPublisher(amqp_uri, EVENTS_EXCHANGE))
    assert restarted.publish_pending() == 5
    wait_for(lambda: len(tap.drain()) >= 15)
    assert published_numbers(tap) == list(range(15))  # the first 10 were not sent again
    tap.close()


def test_a_broker_that_cannot_be_reached_fails_the_batch_and_keeps_the_cursor(store, amqp_uri):
    append(store, range(3))
    proxy = TcpProxy()
    proxy.cut()
    uri = amqp_uri.replace(":5672", f":{proxy.port}")
    relay = OutboxRelay(store, ConfirmedPublisher(uri, EVENTS_EXCHANGE, connect_timeout=1))
    with pytest.raises((PublishError, OSError)):
        relay.publish_pending()
    assert relay.cursor() == 0
    proxy.close()


def test_relay_publishes_everything_appended_while_the_connection_was_cut(store, amqp_uri):
    tap = Tap(amqp_uri)
    proxy = TcpProxy()
    uri = amqp_uri.replace(":5672", f":{proxy.port}")
    relay = OutboxRelay(store, ConfirmedPublisher(uri, EVENTS_EXCHANGE, connect_timeout=1), batch_size=50)
    failures = []
    stop = threading.Event()
    runner = threading.Thread(target=relay.run, args=(stop.is_set, 0.01, failures.append))
    runner.start()
    try:
        append(store, range(300))
        wait_for(lambda: relay.cursor() >= 100, message="relay under way")
        proxy.cut()                       # the broker connection drops mid-stream
        append(store, range(300, 600))    # the service goes on committing meanwhile
        # Stay down through several back-offs: reconnecting to a broker that is still away must
        # be retried, not kill the relay.
        wait_for(lambda: len(failures) >= 4, timeout=30, message="the relay to retry through the outage")
        assert runner.is_alive()
        proxy.restore()
        relay.wake.set()
        wait_for(lambda: relay.cursor() == 600, timeout=60, message="relay caught up after restore")
    finally:
        stop.set()
        relay.wake.set()
        runner.join(30)
        proxy.close()
    wait_for(lambda: len({Event.from_json(m.body).id for m in tap.drain()}) >= 600, message="all 600 on the tap")
    numbers = [Event.from_json(m.body).data["n"] for m in tap.messages]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == list(range(600))  # nothing lost, store order kept
    assert len(numbers) - 600 <= 50       # repeats only from the one unconfirmed batch
    assert proxy.connections >= 2         # it really reconnected
    tap.close()
