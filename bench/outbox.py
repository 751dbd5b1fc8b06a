"""OutboxRelay.publish_pending against raw pika, in the same run, to the same broker.

A store (SQLite, temp dir) holds N events; each round a relay with a new cursor publishes all of
them (batch_size 500: read a page, publish it, wait for every confirm, advance the cursor) to
the ``eldernet.events`` topic exchange of a throw-away vhost, where a durable queue bound with
``#`` receives them, so every message is really routed and persisted. Baselines, with the same
bodies, routing keys and properties (``to_message`` of the stored events, built before timing):
(a) pika BlockingConnection, ``confirm_delivery()``, persistent, one confirm per message;
(b) pika without confirms — the time to send, and the time until all are in the queue.
Connections are opened before the clock starts; the queue is deleted and re-declared between
rounds, and each round checks that exactly N messages reached it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid

import pika

from bench.common import Figure, Vhost, fmt, header, ratio, run_rounds, table
from bench.store import make_streams
from shared.db import make_engine
from shared.outbox import OutboxRelay, to_message
from shared.publisher import ConfirmedPublisher
from shared.store import EventStore
from shared.topology import EVENTS_EXCHANGE

QUEUE = "bench.sink"
BATCH_SIZE = 500


class Broker:
    """An admin channel on the vhost: the exchange, and the sink queue re-made per round."""

    def __init__(self, vhost: Vhost):
        self.params = pika.URLParameters(vhost.amqp_uri)
        self.conn = pika.BlockingConnection(self.params)
        self.channel = self.conn.channel()
        self.channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True, auto_delete=False)

    def fresh_queue(self) -> None:
        self.channel.queue_delete(QUEUE)
        self.channel.queue_declare(QUEUE, durable=True)
        self.channel.queue_bind(QUEUE, EVENTS_EXCHANGE, routing_key="#")

    def pika_channel(self, confirm: bool):
        """A setup for a raw pika figure: a fresh sink queue, then a new connection and channel."""
        def setup(i):
            self.fresh_queue()
            conn = pika.BlockingConnection(self.params)
            channel = conn.channel()
            if confirm:
                channel.confirm_delivery()
            return conn, channel
        return setup

    def count(self) -> int:
        return self.channel.queue_declare(QUEUE, passive=True).method.message_count

    def wait_until(self, n: int, timeout: float = 30.0, interval: float = 0.002) -> None:
        deadline = time.monotonic() + timeout
        while (count := self.count()) != n:
            if count > n or time.monotonic() > deadline:
                raise AssertionError(f"{count} messages in {QUEUE}, expected {n}")
            time.sleep(interval)

    def close(self) -> None:
        self.conn.close()


def pika_properties(message) -> pika.BasicProperties:
    return pika.BasicProperties(**message.properties)


def run(n: int = 5000, rounds: int = 3) -> list[list[str]]:
    header("Outbox relay: OutboxRelay.publish_pending vs raw pika",
           f"N = {n} events per round, batch_size {BATCH_SIZE}, median of {rounds} rounds (msgs/s); "
           f"persistent messages to topic exchange {EVENTS_EXCHANGE} -> durable classic queue bound '#'")
    tmp = tempfile.mkdtemp(prefix="eldernet-bench-outbox-")
    engine = make_engine(f"sqlite:///{os.path.join(tmp, 'store.db')}")
    try:
        store = EventStore(engine)
        store.create_schema()
        for stream in make_streams(n):
            eldernet_append_batch_one(store, stream)
        stored = []
        for page in store.iter_all(0, 1000):
            stored.extend(page)
        messages = [(m.routing_key, m.body, pika_properties(m)) for m in map(to_message, stored)]
        size = sum(len(body) for _, body, _ in messages) / len(messages)
        print(f"   message bodies: real event JSON, mean {size:.0f} bytes")
        with Vhost("bench-outbox") as vhost:
            broker = Broker(vhost)
            try:
                results = run_rounds(_figures(n, store, vhost, broker, messages), rounds)
            finally:
                broker.close()
    finally:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    relay = results["relay"]
    rows = [
        ["eldernet OutboxRelay.publish_pending, batch 500, confirms", fmt(relay.median), "1.00", relay.spread()],
    ]
    for key, label in [("confirm", "pika, persistent, one confirm per message (brief's baseline)"),
                       ("sent", "pika, persistent, no confirms: sent"),
                       ("queued", "pika, persistent, no confirms: all in the queue")]:
        rows.append([label, fmt(results[key].median), ratio(relay, results[key]), results[key].spread()])
    table(["figure", "msgs/s", "relay / this", "rounds"], rows)
    return rows


def eldernet_append_batch_one(store: EventStore, stream) -> None:
    store.append(stream[0].stream_id, 0, stream)


def _figures(n, store, vhost, broker, messages) -> list[Figure]:
    def relay_setup(i):
        broker.fresh_queue()
        publisher = ConfirmedPublisher(vhost.amqp_uri, EVENTS_EXCHANGE)
        publisher.connect()
        return OutboxRelay(store, publisher, name=f"bench-{uuid.uuid4().hex[:8]}", batch_size=BATCH_SIZE)

    def relay_run(relay):
        published = relay.publish_pending()
        assert published == n, (published, n)

    def relay_teardown(relay):
        relay.publisher.close()
        broker.wait_until(n)

    def pika_publish(ctx):
        _, channel = ctx
        for routing_key, body, properties in messages:
            channel.basic_publish(EVENTS_EXCHANGE, routing_key, body, properties)

    def pika_queued(ctx):
        started = time.perf_counter()
        pika_publish(ctx)
        broker.wait_until(n)
        return time.perf_counter() - started

    def pika_teardown(ctx):
        broker.wait_until(n)
        ctx[0].close()

    return [
        Figure("confirm", n, pika_publish, broker.pika_channel(True), pika_teardown),
        Figure("relay", n, relay_run, relay_setup, relay_teardown),
        Figure("sent", n, pika_publish, broker.pika_channel(False), pika_teardown),
        Figure("queued", n, pika_queued, broker.pika_channel(False), pika_teardown),
    ]
