"""Tiered sync end to end, with every node running: village -> town -> district -> city.

The path of bench/sync.py with everything running — four registry nodes (city →
district → town → village) as nameko containers, linked as LocalNetwork sets them up:
(c) facilities registered at the village at steady rates (an open loop); the lag from each
    event's recorded time at the village to its commit at the town, district and city
    (p50/p95/p99/max), each hop split into the uplink relay and the broker plus the intake above —
    vs the same bodies at the same rate through three queues forwarded by raw pika (persistent,
    a confirm per message, prefetch 1);
(d) a backlog registered while the village's link is cut and the district and city are
    stopped; then the link restored, the district started, the city started, one after another:
    each tier's catch-up rate through its intake consumer — vs (b)'s intake work alone on the
    same events.
"""
from __future__ import annotations

import copy
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import eventlet.event
import pika
from nameko.containers import ServiceContainer
from nameko.extensions import Entrypoint
from nameko.testing.utils import get_extension

from bench.common import Vhost, fmt, header, run_rounds, table
from bench.sync import intake_figures
from shared.config import DEFAULTS
from shared.dependencies import EventSourced
from shared.events import Event
from shared.local_network import LocalNetwork
from shared.outbox import to_message
from shared.store import EventStore
from services.registry.service import RegistryService
from tests.support.broker import wait_for
from tests.support.tcp_proxy import TcpProxy

# Four nameko containers of the registry in this process — city fushun → district xinfu → town
# xinfu-s03 → village xinfu-s03-c001 — each with its own vhost, broker user and SQLite files
# (LocalNetwork), on the production defaults (shared/config.py). The village's link goes through
# a TCP proxy so the catch-up figure can cut it. One process means one GIL and one eventlet hub
# for all four nodes: a real network runs each on its own machine, so these lags are an upper
# bound.
CHAIN = [("fushun", "city", "2104", None, "抚顺市"),
         ("xinfu", "district", "210402", "fushun", "新抚区"),
         ("xinfu-s03", "town", "210402003", "xinfu", "永安台街道"),
         ("xinfu-s03-c001", "village", "210402003001", "xinfu-s03", "永安社区")]
TIERS = [node_id for node_id, *_ in reversed(CHAIN)]  # village first: the order records climb
HOPS = len(CHAIN) - 1
IDLE_SECONDS = 3.0


def run_end_to_end(rates=(20, 100), seconds: float = 20.0, backlog: int = 5000) -> list[list[str]]:
    """Steady load at each rate for ``seconds``, then a backlog of ``backlog`` registered while
    the village's link is cut; raw baselines in the same run."""
    header("Tiered sync end to end: village → town → district → city, four running nodes",
           f"steady load {', '.join(f'{r}/s' for r in rates)} for {seconds:g} s each; catch-up of "
           f"{backlog} events; registry containers in one process (one GIL, one hub)")
    tmp = tempfile.mkdtemp(prefix="eldernet-bench-e2e-")
    loads = []
    try:
        with RunningChain(tmp) as chain:
            for rate in rates:
                loads.append(chain.steady_load(rate, seconds))
            catch_up = chain.catch_up(backlog)
        with Vhost("bench-e2e") as vhost:
            raws = [raw_chain(vhost.amqp_uri, load.bodies, load.rate) for load in loads]
        intake = run_rounds(intake_figures(catch_up.events, tmp), 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows = _lag_table(loads, raws)
    rows += _catch_up_table(catch_up, intake)
    return rows


class RunningChain:
    """The four nodes, started; every commit at every node clocked (event id → wall time)."""

    def __init__(self, data_dir: str):
        self.net = LocalNetwork(_base_config(), data_dir, prefix=f"eldernet-bench-{uuid.uuid4().hex[:6]}")
        self.proxy = TcpProxy()
        self.containers: dict[str, ServiceContainer] = {}
        self.committed: dict[str, dict[str, float]] = {node_id: {} for node_id in TIERS}
        self.sent: dict[str, dict[str, float]] = {node_id: {} for node_id in TIERS}  # by the uplink
        self.serial = 0

    def __enter__(self) -> "RunningChain":
        started = time.perf_counter()
        try:
            for node_id, tier, area, parent, _ in CHAIN:
                self.net.add(node_id, tier, area, parent, proxy=self.proxy if tier == "village" else None)
            for node_id, *_ in CHAIN:
                self.start(node_id)
            call(self.containers["fushun"], "import_areas", _area_tree())
            village = self.containers[TIERS[0]]
            wait_for(lambda: len(_areas(village)) == len(CHAIN), timeout=30,
                     message="the area tree to come down to the village")
        except BaseException:
            self.__exit__()
            raise
        idle = _cpu_share(lambda: time.sleep(IDLE_SECONDS))
        print(f"   four nodes started and the area tree down at the village in {time.perf_counter() - started:.1f} s; "
              f"idle, their relays' polling uses {idle:.2f} CPU s per s")
        return self

    def start(self, node_id: str) -> None:
        container = ServiceContainer(RegistryService, self.net.config(node_id))
        self.containers[node_id] = container
        container.start()
        _clock_commits(container, self.committed[node_id], self.sent[node_id])

    def __exit__(self, *exc) -> None:
        try:
            for container in reversed(list(self.containers.values())):
                container.stop()
        finally:
            self.proxy.close()
            self.net.close()

    @property
    def village(self) -> ServiceContainer:
        return self.containers[TIERS[0]]

    def register(self, count: int, rate: float | None) -> tuple[list[Event], float]:
        """``count`` facilities at the village: at ``rate`` per second, each call started on time
        whether or not the ones before have returned (an open loop: a slow node does not lower
        the offered load), or one after another as fast as they go (None). Answers the events
        stored and the seconds until the last call returned."""
        store = store_of(self.village)
        head = store.head_position()
        started = time.monotonic()
        calls = []
        for i in range(count):
            self.serial += 1
            if rate is None:
                call(self.village, "register_facility", _facility(self.serial))
                continue
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            calls.append(eventlet.spawn(call, self.village, "register_facility", _facility(self.serial)))
        for registration in calls:
            registration.wait()
        elapsed = time.monotonic() - started
        events = [e for page in store.iter_all(head, 1000) for e in page]
        assert len(events) == count, f"{len(events)} events for {count} registrations"
        return events, elapsed

    def wait_at(self, node_id: str, events: list[Event], timeout: float) -> None:
        arrived = self.committed[node_id]
        wait_for(lambda: all(e.id in arrived for e in events), timeout=timeout, interval=0.1,
                 message=f"{len(events)} events at {node_id}")

    def steady_load(self, rate: float, seconds: float) -> "Load":
        events, elapsed = self.register(max(2, int(rate * seconds)), rate)
        self.wait_at(TIERS[-1], events, timeout=60 + len(events) / 10)
        print(f"   {rate}/s: {len(events)} registered in {elapsed:.1f} s, all at the city", file=sys.stderr)
        return Load(rate, events, {n: dict(self.committed[n]) for n in TIERS},
                    {n: dict(self.sent[n]) for n in TIERS})

    def catch_up(self, count: int) -> "CatchUp":
        """The district and city stopped, the village's link cut: ``count`` facilities registered
        at the village. Then the link restored (the backlog goes from the village's store through
        its uplink to the town's intake), then the district started (its share waiting in its
        intake queue on the broker), then the city: each tier's catch-up timed on its own."""
        above = TIERS[2:]
        for node_id in above:
            self.containers[node_id].stop()
        self.proxy.cut()
        with _quiet("shared", "nameko", "kombu", "amqp"):  # the link's retries warn once a try
            events, elapsed = self.register(count, None)
            catch_up = CatchUp(elapsed, events)
            catch_up.timed(TIERS[1], self.proxy.restore, lambda: self.wait_at(TIERS[1], events, 60 + count / 10))
        for node_id in above:
            catch_up.timed(node_id, lambda: self.start(node_id), lambda: self.wait_at(node_id, events, 60 + count / 10))
        for node_id in TIERS[1:]:
            catch_up.committed[node_id] = dict(self.committed[node_id])
        print(f"   catch-up: {count} registered while cut off in {elapsed:.1f} s, all at the city", file=sys.stderr)
        return catch_up


@dataclass
class Load:
    rate: float
    events: list[Event]
    committed: dict[str, dict[str, float]]
    sent: dict[str, dict[str, float]]

    @property
    def bodies(self) -> list[bytes]:
        return [to_message(e).body for e in self.events]

    def lags_ms(self, node_id: str) -> list[float]:
        at = self.committed[node_id]
        return [(at[e.id] - e.recorded_time.timestamp()) * 1000 for e in self.events]

    def hop_ms(self, child: str, parent: str) -> tuple[float, float]:
        """Medians of one hop's two halves: the child's uplink (commit → published, confirmed,
        cursor moved) and the broker plus the parent's intake (→ committed at the parent)."""
        relay = [self.sent[child][e.id] - self.committed[child][e.id] for e in self.events]
        intake = [self.committed[parent][e.id] - self.sent[child][e.id] for e in self.events]
        return statistics.median(relay) * 1000, statistics.median(intake) * 1000

    def rate_at(self, node_id: str) -> float:
        times = sorted(self.committed[node_id][e.id] for e in self.events)
        return (len(times) - 1) / (times[-1] - times[0]) if times[-1] > times[0] else float("nan")


@dataclass
class CatchUp:
    register_seconds: float
    events: list[Event]
    started: dict[str, float] = field(default_factory=dict)      # link restored / node started
    cpu_share: dict[str, float] = field(default_factory=dict)    # CPU s per s until all there
    committed: dict[str, dict[str, float]] = field(default_factory=dict)

    def timed(self, node_id: str, begin, wait) -> None:
        self.started[node_id] = time.time()
        self.cpu_share[node_id] = _cpu_share(lambda: (begin(), wait()))

    def span(self, node_id: str) -> tuple[float, float]:
        times = [self.committed[node_id][e.id] for e in self.events]
        return min(times), max(times)

    def rate(self, node_id: str) -> float:
        first, last = self.span(node_id)
        return (len(self.events) - 1) / (last - first)


def _cpu_share(fn) -> float:
    """This process's CPU seconds per wall second while ``fn()`` runs."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def _base_config() -> dict:
    config = copy.deepcopy(DEFAULTS)  # production defaults: outbox poll 0.05 s, 5 attempts
    config["ELDERNET"]["metrics"] = {"port": None}
    return config


def _clock_commits(container: ServiceContainer, committed: dict[str, float], sent: dict[str, float]) -> None:
    """Note when each event commits at this node (the store keeps the village's recorded time,
    not when a synced copy arrived) and when this node's uplink has it confirmed by the parent's
    broker."""
    provider = _event_sourced(container)
    on_committed = provider.context.on_committed
    provider.context.on_committed = lambda events: on_committed(_clock(events, committed))
    if provider.uplink is not None:
        on_published = provider.uplink.on_published
        provider.uplink.on_published = lambda events: on_published(_clock(events, sent))


def _clock(events: list[Event], clock: dict[str, float]) -> list[Event]:
    now = time.time()
    for event in events:
        clock[event.id] = now
    return events


def call(container: ServiceContainer, method: str, *args):
    """Run a service method in a worker of its container, as its RPC entrypoint would (without
    the broker round trip of the caller, which is not what is measured)."""
    entrypoint = get_extension(container, Entrypoint, method_name=method)
    done = eventlet.event.Event()

    def handle_result(worker_ctx, result, exc_info):
        done.send((result, exc_info))
        return result, exc_info

    container.spawn_worker(entrypoint, args, {}, handle_result=handle_result)
    result, exc_info = done.wait()
    if exc_info is not None:
        raise exc_info[1]
    return result


def _event_sourced(container: ServiceContainer) -> EventSourced:
    return next(d for d in container.dependencies if isinstance(d, EventSourced))


def store_of(container: ServiceContainer) -> EventStore:
    return _event_sourced(container).store


def _areas(container: ServiceContainer) -> set[str]:
    return {e.data["code"] for e in store_of(container).read_all(0, 1000) if e.type.endswith("AreaRegistered")}


def _area_tree() -> list[dict]:
    codes = {node_id: area for node_id, _, area, *_ in CHAIN}
    return [{"code": area, "name": name, "tier": tier, **({"parent": codes[parent]} if parent else {})}
            for _, tier, area, parent, name in CHAIN]


def _facility(n: int) -> dict:
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": CHAIN[-1][2],
            "ownership": "public", "capacity": {"day_places": 20}}


@contextmanager
def _quiet(*loggers: str):
    levels = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


# -- the raw baseline: the same bodies through three queues, forwarded by plain pika ---------
def raw_chain(amqp_uri: str, bodies: list[bytes], rate: float, hops: int = HOPS) -> dict:
    """Publish ``bodies`` at ``rate`` into queue 0; a forwarder per hop consumes queue k
    (prefetch 1, as the intakes keep a link's order) and publishes to queue k+1, persistent with
    a confirm per message (at these rates a link relay's batch is one event), then acks. Answers
    the milliseconds from publish to consumption at each hop, per message."""
    queues = [f"bench.hop{k}" for k in range(hops)]
    admin = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = admin.channel()
    for queue in queues:
        channel.queue_delete(queue)
        channel.queue_declare(queue, durable=True)
    arrived = [[] for _ in queues]
    stop = threading.Event()
    forwarders = [threading.Thread(target=_forward, args=(amqp_uri, queues[k], queues[k + 1] if k + 1 < hops else None,
                                                          arrived[k], stop), daemon=True) for k in range(hops)]
    for forwarder in forwarders:
        forwarder.start()
    publisher = channel.connection.channel()
    publisher.confirm_delivery()
    started = time.monotonic()
    for i, body in enumerate(bodies):
        time.sleep(max(0.0, started + i / rate - time.monotonic()))
        publisher.basic_publish("", queues[0], body, pika.BasicProperties(
            delivery_mode=2, content_type="application/cloudevents+json", headers={"t": time.time_ns()}))
    try:
        wait_for(lambda: len(arrived[-1]) == len(bodies), timeout=60, interval=0.05,
                 message=f"{len(bodies)} messages through {hops} raw hops")
    finally:
        stop.set()
        for forwarder in forwarders:
            forwarder.join(5)
        for queue in queues:
            channel.queue_delete(queue)
        admin.close()
    return {"seconds": time.monotonic() - started, "lags": arrived}


def _forward(amqp_uri: str, source: str, target: str | None, arrived: list, stop: threading.Event) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    inbound, outbound = connection.channel(), connection.channel()
    inbound.basic_qos(prefetch_count=1)
    outbound.confirm_delivery()
    try:
        for method, properties, body in inbound.consume(source, inactivity_timeout=0.05):
            if method is None:
                if stop.is_set():
                    break
                continue
            arrived.append((time.time_ns() - properties.headers["t"]) / 1e6)
            if target is not None:
                outbound.basic_publish("", target, body, properties)
            inbound.basic_ack(method.delivery_tag)
    finally:
        connection.close()


# -- output ----------------------------------------------------------------------------------
def _percentiles(values: list[float]) -> list[str]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [f"{v:,.0f}".replace(",", " ") for v in (statistics.median(values), cuts[94], cuts[98], max(values))]


def _lag_table(loads: list[Load], raws: list[dict]) -> list[list[str]]:
    names = {"xinfu-s03-c001": "village: registered and committed", "xinfu-s03": "→ town (1 hop)",
             "xinfu": "→ district (2 hops)", "fushun": "→ city (3 hops)"}
    rows = []
    for load, raw in zip(loads, raws):
        raw_rate = (len(load.events) - 1) / raw["seconds"]
        for node_id in TIERS:
            hop = TIERS.index(node_id)
            lags = load.lags_ms(node_id)
            vs_raw = f"{statistics.median(lags) / statistics.median(raw['lags'][hop - 1]):.1f}" if hop else "-"
            rows.append([f"{load.rate}/s {names[node_id]}", fmt(load.rate_at(node_id)), *_percentiles(lags), vs_raw])
        for hop, lags in enumerate(raw["lags"], start=1):
            rows.append([f"{load.rate}/s raw pika, persistent, confirm each: hop {hop}", fmt(raw_rate),
                         *_percentiles(lags), "1.0"])
    print("   lag = commit at that node − recorded time at the village; raw = publish → consumed at that hop")
    table(["figure", "events/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "p50 / raw"], rows)
    for load in loads:
        halves = [load.hop_ms(child, parent) for child, parent in zip(TIERS, TIERS[1:])]
        print(f"   {load.rate}/s, p50 of each hop up (village→town, →district, →city): uplink relay "
              f"(commit → confirmed, cursor moved) {' / '.join(f'{r:.0f}' for r, _ in halves)} ms; "
              f"broker + intake (→ committed above) {' / '.join(f'{i:.0f}' for _, i in halves)} ms")
    return rows


def _catch_up_table(catch_up: CatchUp, intake: dict) -> list[list[str]]:
    alone = intake["intake"].median
    names = {"xinfu-s03": "town: link restored; village store → uplink → town's intake",
             "xinfu": "district: started; its share waiting in its intake queue",
             "fushun": "city: started; its share waiting in its intake queue"}
    rows = [["village: registrations while cut off (one after another)",
             fmt(len(catch_up.events) / catch_up.register_seconds), "-", "-", "-"]]
    for node_id in TIERS[1:]:
        first, last = catch_up.span(node_id)
        rows.append([f"catch-up at the {names[node_id]} (first → last)", fmt(catch_up.rate(node_id)),
                     f"{catch_up.rate(node_id) / alone:.2f}", f"{catch_up.cpu_share[node_id]:.2f}",
                     f"{first - catch_up.started[node_id]:.1f}"])
    for key, name in (("intake", "intake work alone: uow.ingest + inbox, no broker (same events)"),
                      ("core", "raw Core insert, one row per transaction (same events)")):
        rows.append([name, fmt(intake[key].median), f"{intake[key].median / alone:.2f}", "-", "-"])
    print("   each tier timed alone, the tiers above it stopped; CPU = this process's CPU s per s meanwhile; "
          "first = s from restore/start to the first event stored (the uplink retries with a back-off "
          "of 0.2 s doubling to 15 s)")
    table(["figure", "events/s", "/ intake alone", "CPU", "first s"], rows)
    return rows
