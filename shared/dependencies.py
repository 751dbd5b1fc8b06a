"""nameko dependency provider for an event-sourced service: store, outbox relay, inbox, metrics.

    class FacilityService:
        name = "registry"
        uow = EventSourced(registry=domain_events, projections=[FacilityList()])

        @rpc
        def register(self, payload):
            with self.uow() as uow:
                return uow.execute(...)

``setup()`` makes the engine and tables (nothing happens at import time); ``start()`` starts
the outbox relay in a managed greenthread that publishes whatever the service's units of work
commit; ``stop()`` stops it. A unit of work opened by a worker of an
:class:`~shared.entrypoints.EventConsumer` records the consumed event in the inbox in its own
transaction.
"""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from functools import cached_property
from typing import Callable, Iterator, Sequence

import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.engine import Connection

from shared import cursors, handoff, inbox, metrics as kernel_metrics, read_models, record_handoff, recoding
from shared.broker_admin import user_of
from shared.config import eldernet_section
from shared.db import make_engine
from shared.events import Event
from shared.links import Topology
from shared.node import Node, database_url
from shared.outbox import OutboxRelay
from shared.projections import Projection, Projections
from shared.publisher import ConfirmedPublisher
from shared.schemas import EventRegistry
from shared.store import EventStore
from shared.sync_link import LinkRelay
from shared.sync_relays import SyncRelays
from shared.topology import EVENTS_EXCHANGE
from shared.unit_of_work import InboxEntry, ServiceContext, UnitOfWork, record_handled

log = logging.getLogger(__name__)

INBOX_KEY = "eldernet.inbox"  # worker context_data key for the event a consumer is handling


class UnitOfWorkFactory:
    """What a service method sees as ``self.uow``."""

    def __init__(self, provider: "EventSourced", inbox_entry: InboxEntry | None):
        self._provider = provider
        self._inbox_entry = inbox_entry

    def __call__(self) -> UnitOfWork:
        if self._inbox_entry is not None and self._inbox_entry.recorded:
            # The consumed event was marked handled with the first unit of work's commit; a
            # second one would not be covered by it (a redelivery after a failure here would be
            # dropped as a duplicate). A consumer does all its writing in one unit of work.
            raise RuntimeError(f"{self._inbox_entry.consumer}: a consumer handler writes in one unit of work; "
                               "this one already committed")
        return UnitOfWork(self._provider.context, self._inbox_entry)

    @property
    def store(self) -> EventStore:
        return self._provider.store

    @property
    def node(self) -> Node:
        return self._provider.node

    @property
    def config(self) -> dict:
        return self._provider.container.config

    def outbox_backlog(self) -> int:
        return self._provider.relay.backlog()

    @property
    def projections(self) -> Projections:
        return self._provider.projections

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for queries on the read models."""
        with self._provider.store.engine.connect() as conn:
            yield conn


def register_kernel_events(registry: EventRegistry, service: str) -> None:
    """The kernel's own records every syncing service stores and publishes: its hand-offs of
    homes (shared/handoff.py) and of re-coded areas (shared/recoding.py)."""
    handoff.register(registry, service)
    recoding.register(registry, service)
    record_handoff.register(registry, service)


class EventSourced(DependencyProvider):
    """The unit of work of one service on one node, with its outbox relay."""

    def __init__(self, registry: EventRegistry, projections: Sequence[Projection] = (), service: str | None = None,
                 tables: Sequence[sa.Table] = (), home_area: Callable[[str, str], str] | None = None,
                 references: Callable[[Event], Sequence[str]] | None = None):
        """``tables``: the service's own tables outside its read models (created at setup, never
        emptied by a replay), e.g. the registry's identity table.
        ``home_area(stream_id, area_code)``: the area whose node is the stream's home (single
        writer; default the event's area). ``references(event)``: the streams an event received
        over a sync link needs stored first (it is held until they are)."""
        self.registry = registry
        self.projection_list = list(projections)
        self.service_override = service
        self.tables = list(tables)
        self.home_area = home_area or (lambda stream_id, area_code: area_code)
        self.references = references or (lambda event: ())

    # Read from the config when first asked: the entrypoints' setup may run before this one's.
    @cached_property
    def topology(self) -> Topology:
        return Topology.from_config(self.container.config)

    @property
    def node(self) -> Node:
        return self.topology.node

    @property
    def broker_user(self) -> str:
        return user_of(self.container.config["AMQP_URI"])

    # -- lifecycle -------------------------------------------------------------------------
    def setup(self) -> None:
        config = self.container.config
        section = eldernet_section(config)
        self.service = self.service_override or self.container.service_name
        self.metrics = kernel_metrics.metrics()
        self.labels = {"node": self.node.id, "service": self.service}
        metrics_config = section.get("metrics") or {}
        if metrics_config.get("port"):
            kernel_metrics.serve(int(metrics_config["port"]), metrics_config.get("addr") or "127.0.0.1")
        engine = make_engine(database_url(config, self.service),
                             sqlite_synchronous=section.get("sqlite_synchronous", "FULL"))
        self.store = EventStore(engine)
        register_kernel_events(self.registry, self.service)
        self.store.create_schema()
        self.projections = Projections(self.store, self.projection_list)
        read_models.rebuild_changed(self.projections)  # a read model whose tables changed is replayed, not migrated
        self.projections.create_tables()
        for table in self.tables:
            table.create(engine, checkfirst=True)
        self.projections.catch_up()
        self.context = ServiceContext(node=self.node, service=self.service, store=self.store,
                                      registry=self.registry, projections=self.projections,
                                      on_appended=self._appended, on_committed=self._committed,
                                      home_node=lambda stream, area: self.topology.home_of(self.home_area(stream, area)),
                                      awaiting_handoff=self._awaiting_handoff, references=self.references,
                                      after_ingest=self._after_ingest,
                                      carried=lambda event: record_handoff.carried(event, self.service),
                                      hand_over=self._hand_over_record)
        outbox = section.get("outbox") or {}
        self.poll_interval = float(outbox.get("poll_interval", 0.05))
        self.relay = OutboxRelay(self.store, ConfirmedPublisher(config["AMQP_URI"], EVENTS_EXCHANGE),
                                 batch_size=int(outbox.get("batch_size", 500)), on_published=self._published)
        # Only a service that can take synced events in (@receive_synced_events) sends them out:
        # its peers run the same service, with the same intake.
        syncing = any(getattr(e, "receives_synced_events", False) for e in self.container.entrypoints)
        self.sync = SyncRelays(self.store, self.topology if syncing else Topology(self.node, None),
                               self.service, config["AMQP_URI"], section.get("sync") or {},
                               int(outbox.get("batch_size", 500)))
        self._stopping = threading.Event()

    @property
    def uplink(self) -> LinkRelay | None:
        return self.sync.uplink

    def downlink(self, child_id: str) -> LinkRelay:
        return self.sync.downlink(child_id)

    def start(self) -> None:
        self._stopping.clear()
        self._hand_over()
        self._relay_thread = self.container.spawn_managed_thread(
            self._run_relay, identifier=f"{self.service}.outbox_relay")
        self.sync.watch_backlogs()
        self._sync_threads = self.sync.start(self.container.spawn_managed_thread, self._stopping.is_set,
                                             self.poll_interval)

    def stop(self) -> None:
        self._stopping.set()
        self.relay.wake.set()
        self.sync.close()
        for thread in [getattr(self, "_relay_thread", None), *getattr(self, "_sync_threads", [])]:
            if thread is not None:
                thread.wait()
        for relay in [self.relay, *self.sync.relays]:
            relay.publisher.close()
        self.store.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> UnitOfWorkFactory:
        return UnitOfWorkFactory(self, worker_ctx.context_data.get(INBOX_KEY))

    # -- used by the EventConsumer entrypoint ------------------------------------------------
    def seen(self, consumer: str, event: Event) -> bool:
        with self.store.engine.connect() as conn:
            return inbox.seen(conn, consumer, event)

    def record_handled(self, entry: InboxEntry) -> None:
        """Record an event whose handler opened no unit of work (raises AlreadyHandled)."""
        with self.store.engine.begin() as conn:
            record_handled(conn, entry)
        entry.recorded = True

    # -- used by the sync intakes ------------------------------------------------------------
    def link_received(self, cursor: str) -> int:
        with self.store.engine.connect() as conn:
            return cursors.get(conn, cursor)

    def stream_area(self, stream_id: str) -> str | None:
        """The area a record lives in as far as this node knows: where it moved last
        (shared/record_handoff.py), else its first event's; None when there is no such stream."""
        with self.store.engine.connect() as conn:
            return record_handoff.area_of(conn, stream_id) or handoff.first_area(conn, stream_id)

    def stores_all(self, events: Sequence[Event]) -> bool:
        with self.store.engine.connect() as conn:
            return all(self.store.contains(event, conn) for event in events)

    def advance_link(self, cursor: str, position: int) -> None:
        with self.store.engine.begin() as conn:
            cursors.advance(conn, cursor, position)

    # -- internals -------------------------------------------------------------------------
    def _hand_over(self) -> None:
        """Re-homing: a child listed in the config now writes its area's records (shared/handoff.py)."""
        def record(stream_id, expected_version, domain_events, area_code):
            with UnitOfWork(self.context) as uow:
                uow.record(stream_id, expected_version, domain_events, area_code=area_code, check_home=False)
        for handed in handoff.hand_over(self.store, self.topology, record):
            log.info("%s: records of area %s handed over to child node %s", self.service, handed.area_code,
                     handed.to_node)
        recoding.learn_all(self.store, self.topology, self.service)
        for recoded in recoding.record_recodings(self.store, self.topology, record):
            self.topology.recoded[recoded.from_area] = recoded.to_area
            log.info("%s: records of area %s are written here now, as area %s", self.service, recoded.from_area,
                     recoded.to_area)

    def _after_ingest(self, uow: UnitOfWork, event: Event) -> None:
        """A record from above about a child's area, arriving after this node started: hand the
        child its area now, in the same unit of work, after the record (shared/handoff.py)."""
        recoding.learn(self.topology, self.service, event)
        record_handoff.after_stored(uow, self.topology, self.service, event)
        handed = handoff.owed(uow.conn, self.store, self.topology, event)
        if handed is not None:
            uow.record(handoff.stream_of(handed.area_code), 0, [handed], area_code=handed.area_code,
                       check_home=False)

    def _hand_over_record(self, uow: UnitOfWork, stream_id: str, from_area: str, to_area: str) -> None:
        record_handoff.record_move(uow, self.topology, self.service, stream_id, from_area, to_area)

    def _awaiting_handoff(self, conn, stream_id: str) -> str | None:
        moved_to = record_handoff.area_of(conn, stream_id)
        if moved_to is not None:  # a moved record is written where it moved (its history came with it)
            home = self.topology.home_of(moved_to)
            return None if home == self.node.id else home
        if handoff.needs_handoff(conn, self.store, self.topology, stream_id):
            return self.topology.parent.id
        return None

    def _run_relay(self) -> None:
        self.relay.run(self._stopping.is_set, self.poll_interval,
                       on_error=lambda error: self.metrics.publish_failures.labels(**self.labels).inc())

    def _appended(self, events: list[Event], seconds: float) -> None:
        self.metrics.append_seconds.labels(**self.labels).observe(seconds)
        for event in events:
            self.metrics.events_appended.labels(type=event.type, **self.labels).inc()

    def _committed(self, events: list[Event]) -> None:
        self.metrics.outbox_backlog.labels(**self.labels).inc(len(events))
        self.relay.wake.set()
        self.sync.committed(events)

    def _published(self, events: list[Event]) -> None:
        self.metrics.events_published.labels(**self.labels).inc(len(events))
        self.metrics.outbox_backlog.labels(**self.labels).set(self.relay.backlog())
