"""Tiered sync, upward: how fast a village catches up after a week offline.

A village store holds a backlog of N events (default 100 000: a busy week of a community, all
about its own area). Figures, in the same run and to the same broker:
(a) the uplink (``OutboxRelay`` with the area filter, as ``EventSourced`` runs it) forwarding the
    whole backlog to the ``eldernet.sync`` exchange of a parent vhost, where a durable queue bound
    ``#`` stands in for the parent's intake — vs raw pika without confirms for the same N messages,
    and raw pika with one confirm per message on a sample (its rate; N of them would take minutes);
(b) the parent's intake work per event — ``uow.ingest`` with the inbox entry, one unit of work per
    event, as ``@receive_synced_events`` does it — on a sample, vs a raw SQLAlchemy Core insert of
    one row per transaction: the intake, not the link, bounds the catch-up.
One round each (the backlog is large); run it twice to see the machine's noise.

The end-to-end figures with every node running are in bench/sync_e2e.py.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid

import pika

from bench.common import Figure, Vhost, fmt, header, run_rounds, table
from bench.outbox import Broker, pika_properties
from bench.store import make_streams, raw_events, raw_metadata, raw_rows
from shared.db import make_engine
from shared.node import Node, Tier
from shared.outbox import OutboxRelay, to_message
from shared.projections import Projections
from shared.publisher import ConfirmedPublisher
from shared.schemas import EventRegistry
from shared.store import EventStore
from shared.topology import SYNC_EXCHANGE
from shared.unit_of_work import InboxEntry, ServiceContext, UnitOfWork

VILLAGE = Node("xinfu-s01-c002", Tier.VILLAGE, "210402001002", parent="xinfu-s01")
TOWN = Node("xinfu-s01", Tier.TOWN, "210402001", parent="xinfu")
SAMPLE = 3000


def run(n: int = 100_000, rounds: int = 1) -> list[list[str]]:
    header("Tiered sync: a village's uplink catching up after a week offline",
           f"backlog N = {n} events; uplink batch 500; samples of {SAMPLE} for the slow baselines; {rounds} round(s)")
    tmp = tempfile.mkdtemp(prefix="eldernet-bench-sync-")
    village = EventStore(make_engine(f"sqlite:///{os.path.join(tmp, 'village.db')}"))
    village.create_schema()
    started = time.perf_counter()
    streams = make_streams(n)
    for stream in streams:
        village.append(stream[0].stream_id, 0, stream)
    print(f"   backlog written in {time.perf_counter() - started:.1f} s")
    stored = [e for page in village.iter_all(0, 5000) for e in page]
    messages = [(m.routing_key, m.body, pika_properties(m)) for m in map(to_message, stored)]
    try:
        with Vhost("bench-sync") as vhost:
            broker = SyncBroker(vhost)
            try:
                results = run_rounds(_link_figures(n, village, vhost, broker, messages)
                                     + intake_figures(stored[:SAMPLE], tmp), rounds)
            finally:
                broker.close()
    finally:
        village.engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    uplink, intake = results["uplink"], results["intake"]
    rows = [
        ["uplink: village store -> parent's eldernet.sync (confirms)", fmt(uplink.median), "1.00", uplink.spread()],
        ["pika, persistent, no confirms (all N in the queue)", fmt(results["raw"].median),
         f"{uplink.median / results['raw'].median:.2f}", results["raw"].spread()],
        ["pika, persistent, one confirm per message (sample)", fmt(results["confirm"].median),
         f"{uplink.median / results['confirm'].median:.2f}", results["confirm"].spread()],
        ["intake: uow.ingest + inbox, one unit of work per event (sample)", fmt(intake.median),
         f"{uplink.median / intake.median:.2f}", intake.spread()],
        ["raw Core insert, one row per transaction (sample)", fmt(results["core"].median),
         f"{uplink.median / results['core'].median:.2f}", results["core"].spread()],
    ]
    table(["figure", "events/s", "uplink / this", "rounds"], rows)
    print(f"   a week's backlog of {n} events: forwarded in ≈ {n / uplink.median:.0f} s; "
          f"stored by the parent's intake in ≈ {n / intake.median:.0f} s")
    return rows


class SyncBroker(Broker):
    """The parent's side: the sync exchange and a sink queue standing in for its intake."""

    def fresh_queue(self) -> None:
        self.channel.exchange_declare(SYNC_EXCHANGE, "topic", durable=True, auto_delete=False)
        self.channel.queue_delete("bench.sink")
        self.channel.queue_declare("bench.sink", durable=True)
        self.channel.queue_bind("bench.sink", SYNC_EXCHANGE, routing_key="#")


def _link_figures(n, village, vhost, broker, messages) -> list[Figure]:
    def uplink_setup(i):
        broker.fresh_queue()
        publisher = ConfirmedPublisher(vhost.amqp_uri, SYNC_EXCHANGE)
        publisher.connect()
        return OutboxRelay(village, publisher, name=f"sync:up:{uuid.uuid4().hex[:6]}", batch_size=500,
                           select=lambda event: VILLAGE.contains(event.area_code))

    def uplink_run(uplink):
        assert uplink.publish_pending() == n

    def uplink_teardown(uplink):
        uplink.publisher.close()
        broker.wait_until(n, timeout=120)

    def pika_all(ctx):
        started = time.perf_counter()
        for routing_key, body, properties in messages:
            ctx[1].basic_publish(SYNC_EXCHANGE, routing_key, body, properties)
        broker.wait_until(n, timeout=120)
        return time.perf_counter() - started

    def pika_sample(ctx):
        for routing_key, body, properties in messages[:SAMPLE]:
            ctx[1].basic_publish(SYNC_EXCHANGE, routing_key, body, properties)

    def close(ctx):
        ctx[0].close()

    return [Figure("uplink", n, uplink_run, uplink_setup, uplink_teardown),
            Figure("raw", n, pika_all, broker.pika_channel(False), close),
            Figure("confirm", SAMPLE, pika_sample, broker.pika_channel(True), close)]


def intake_figures(sample, tmp) -> list[Figure]:
    def intake_setup(i):
        store = EventStore(make_engine(f"sqlite:///{os.path.join(tmp, f'town-{i}.db')}"))
        store.create_schema()
        return ServiceContext(TOWN, "ward", store, EventRegistry(), Projections(store, []))

    def intake_run(context):
        for event in sample:
            with UnitOfWork(context, InboxEntry("ward.receive_synced", event)) as uow:
                uow.ingest(event)

    def core_setup(i):
        engine = make_engine(f"sqlite:///{os.path.join(tmp, f'raw-{i}.db')}")
        raw_metadata.create_all(engine)
        return engine, raw_rows([sample])

    def core_run(ctx):
        engine, rows = ctx
        for row in rows:
            with engine.begin() as conn:
                conn.execute(raw_events.insert(), row)

    return [Figure("intake", len(sample), intake_run, intake_setup, lambda c: c.store.engine.dispose()),
            Figure("core", len(sample), core_run, core_setup, lambda c: c[0].dispose())]


# -- end to end: a village's records reaching the city, through four running nodes ----------
#
