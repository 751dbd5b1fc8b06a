"""Device signals into alerts, beside the kernel's raw baselines measured in the same run.

One node as it runs in production — the alerts service in a nameko container, SQLite (WAL,
synchronous=FULL) in a temp dir, a throw-away vhost, production defaults (outbox poll 0.05 s, up to
10 workers), no notifier (the log would drown the output), the checks' timer set to an hour so it
does not run meanwhile. Untimed setup per round: N devices (SOS buttons) registered. Then:

(a) ingestion: one SOS from each of the N devices published at once on ``eldernet.signals`` (py-amqp,
    persistent) and taken by the service's AMQP consumer: one unit of work each (device, burst,
    ``AlertRaised``, read model, notice). Rate = N / (first publish → N alerts in the read model).
(b) repeats: a second SOS of each device while its alert is open: ``AlertRepeated`` each.
(c) the broker's floor: N messages published to a plain queue and consumed back by one consumer
    (py-amqp, manual ack) — what any AMQP consumer costs before it does any work.
(d) the store's floor, from bench/store.py: ``EventStore.append`` of one event per transaction.

Latency (p50/p99): signals at a steady ``RATE``/s, each from a new device; the time from publishing
the signal to the ``AlertRaised`` event arriving at a subscriber's queue on ``eldernet.events`` (the
alert stored, projected and published by the outbox) — beside the same publish → consume hop on a
plain queue at the same rate.
"""
from __future__ import annotations

import json
import socket
import statistics
import time
from datetime import datetime, timezone

import amqp
import sqlalchemy as sa

from bench import store as store_bench
from bench.common import Figure, ServiceNode, fmt, header, ratio, run_rounds, table
from bench.sync_e2e import call, store_of
from shared.publisher import connection_params
from shared.topology import EVENTS_EXCHANGE
from services.alerts.entrypoints import SIGNALS_EXCHANGE, SIGNAL_ROUTING_KEY
from services.alerts.service import AlertsService

VILLAGE = "210402003001"
RATE, LATENCY_SIGNALS = 20, 200


class Node(ServiceNode):
    service_class, name = AlertsService, "alerts"
    node = {"id": "bench-village", "tier": "village", "area_code": VILLAGE, "parent": "bench-town"}

    def configure(self, config: dict) -> None:
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{_free_port()}"
        config["ELDERNET"]["alerts"] = {"check_interval": 3600, "notifiers": []}

    def opened(self) -> None:
        self.conn = amqp.Connection(**connection_params(self.vhost.amqp_uri))
        self.conn.connect()
        self.channel = self.conn.channel()

    def closing(self) -> None:
        if getattr(self, "conn", None) is not None:
            self.conn.close()

    def register(self, ids: list[str]) -> None:
        for device_id in ids:
            call(self.container, "register_device", {"device_id": device_id, "device_type": "sos_button",
                                                     "area_code": VILLAGE, "elder_id": f"elder-{device_id}"})

    def publish(self, device_id: str) -> None:
        body = json.dumps({"device_id": device_id, "kind": "sos", "at": datetime.now(timezone.utc).isoformat()})
        self.channel.basic_publish(amqp.Message(body, content_type="application/json", delivery_mode=2),
                                   exchange=SIGNALS_EXCHANGE, routing_key=SIGNAL_ROUTING_KEY)

    def count(self, sql: str) -> int:
        with store_of(self.container).engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()

    def wait_until(self, sql: str, n: int, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(sql) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {n}: {sql}")
            time.sleep(0.005)


ALERTS = "SELECT count(*) FROM alerts_alerts WHERE kind IS NOT NULL"
REPEATS = "SELECT coalesce(sum(repeats), 0) FROM alerts_alerts"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the broker's floor: publish and consume back on a plain queue ------------------------------------
class RawHop:
    def __init__(self, amqp_uri: str, queue: str):
        self.conn = amqp.Connection(**connection_params(amqp_uri))
        self.conn.connect()
        self.channel = self.conn.channel()
        self.queue = queue
        self.channel.queue_declare(queue, durable=True, auto_delete=False)
        self.received: list[tuple[str, float]] = []
        self.channel.basic_consume(queue, callback=self._got)

    def _got(self, message) -> None:
        self.received.append((message.body if isinstance(message.body, str) else message.body.decode(),
                              time.perf_counter()))
        self.channel.basic_ack(message.delivery_tag)

    def drain_until(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"raw hop: {len(self.received)} of {n}")
            try:
                self.conn.drain_events(timeout=0.1)
            except socket.timeout:
                pass

    def close(self) -> None:
        self.conn.close()


def raw_round_trip(amqp_uri: str, n: int, round_: int) -> float:
    publisher = amqp.Connection(**connection_params(amqp_uri))
    publisher.connect()
    hop = RawHop(amqp_uri, f"bench.raw.{round_}")
    try:
        channel = publisher.channel()
        started = time.perf_counter()
        for k in range(n):
            channel.basic_publish(amqp.Message(str(k), delivery_mode=2), exchange="", routing_key=hop.queue)
        hop.drain_until(n)
        return time.perf_counter() - started
    finally:
        hop.close()
        publisher.close()


# -- the figures ----------------------------------------------------------------------------------
def figures(node: Node, n: int) -> list[Figure]:
    devices: dict[int, list[str]] = {}

    def setup(i):
        devices[i] = [f"r{i}-d{k}" for k in range(n)]
        node.register(devices[i])
        return i

    def ingest(i):
        before = node.count(ALERTS)
        started = time.perf_counter()
        for device_id in devices[i]:
            node.publish(device_id)
        node.wait_until(ALERTS, before + n)
        return time.perf_counter() - started

    def repeat(i):
        before = node.count(REPEATS)
        started = time.perf_counter()
        for device_id in devices[i]:
            node.publish(device_id)
        node.wait_until(REPEATS, before + n)
        return time.perf_counter() - started

    def fresh_store(i):
        db = store_bench.Database("sqlite")
        return db, store_bench.make_streams(n, tag=f"{i}-")

    rounds = iter(range(1_000_000))
    return [
        Figure("raise", n, ingest, setup),
        Figure("repeat", n, repeat, lambda i: i),  # the same round's devices: their alerts are open
        Figure("raw", n, lambda i: raw_round_trip(node.vhost.amqp_uri, n, next(rounds)), lambda i: i),
        Figure("append", n, lambda c: store_bench.eldernet_append_one(*c), fresh_store, lambda c: c[0].close()),
    ]


# -- latency --------------------------------------------------------------------------------------
def alert_latencies(node: Node, count: int) -> list[float]:
    """Seconds from publishing an SOS to its AlertRaised reaching a subscriber, at RATE signals/s."""
    tap = RawHop(node.vhost.amqp_uri, "bench.tap.alerts")
    tap.channel.queue_bind(tap.queue, EVENTS_EXCHANGE, routing_key="eldernet.alerts.AlertRaised.#")
    ids = [f"lat-d{k}" for k in range(count)]
    node.register(ids)
    sent = {}
    try:
        for device_id in ids:
            sent[device_id] = time.perf_counter()
            node.publish(device_id)
            _drain_for(tap, 1.0 / RATE)
        tap.drain_until(count)
    finally:
        tap.close()
    return [at - sent[json.loads(body)["data"]["source_ref"]] for body, at in tap.received]


def hop_latencies(node: Node, count: int) -> list[float]:
    publisher, hop = node.channel, RawHop(node.vhost.amqp_uri, "bench.raw.latency")
    sent = []
    try:
        for k in range(count):
            sent.append(time.perf_counter())
            publisher.basic_publish(amqp.Message(str(k), delivery_mode=2), exchange="", routing_key=hop.queue)
            _drain_for(hop, 1.0 / RATE)
        hop.drain_until(count)
    finally:
        hop.close()
    return [at - sent[int(body)] for body, at in hop.received]


def _drain_for(hop: RawHop, seconds: float) -> None:
    until = time.perf_counter() + seconds
    while (left := until - time.perf_counter()) > 0:
        try:
            hop.conn.drain_events(timeout=left)
        except socket.timeout:
            return


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def run(n: int = 1000, rounds: int = 3) -> list[list[str]]:
    header("Alerts: device signals on AMQP → alerts, vs the broker's and the store's floors",
           f"N = {n} signals per round (each from its own SOS button), median of {rounds} rounds; one village "
           f"node, SQLite; latency at {RATE} signals/s over {LATENCY_SIGNALS} signals")
    with Node() as node:
        results = run_rounds(figures(node, n), rounds)
        alert_ms = sorted(s * 1000 for s in alert_latencies(node, LATENCY_SIGNALS))
        hop_ms = sorted(s * 1000 for s in hop_latencies(node, LATENCY_SIGNALS))
    raised = results["raise"]
    rows = [
        ["SOS on eldernet.signals → AlertRaised stored (1 txn each)", fmt(raised.median), "1.00", raised.spread(),
         f"{percentile(alert_ms, 50):.1f}", f"{percentile(alert_ms, 99):.1f}"],
        ["a repeat of an open alert → AlertRepeated", fmt(results["repeat"].median), ratio(raised, results["repeat"]),
         results["repeat"].spread(), "", ""],
        ["raw AMQP publish → consume back, 1 consumer (the broker's floor)", fmt(results["raw"].median),
         ratio(raised, results["raw"]), results["raw"].spread(), f"{percentile(hop_ms, 50):.1f}",
         f"{percentile(hop_ms, 99):.1f}"],
        ["EventStore.append, 1 event/txn (the store's floor)", fmt(results["append"].median),
         ratio(raised, results["append"]), results["append"].spread(), "", ""],
    ]
    table(["figure", "per s", "alerts / this", "rounds", "p50 ms", "p99 ms"], rows)
    print("   latency: signal published → AlertRaised at a subscriber (stored, projected, published by the outbox)")
    return rows

