"""The sending side of a service's sync links: one relay up to the parent, one down to each child.

Each is a :class:`~shared.sync_link.LinkRelay` in its own greenthread, following the service's
store from its own cursor. Up: to the parent's ``eldernet.sync`` exchange over the parent's
broker. Down: to the child's queue on this node's broker, which the child drains over its own
connection. A child's queue is bounded by a broker policy (max length, overflow
``reject-publish``): when a child stays offline long enough to fill it, the broker refuses
further messages, the relay backs off, and the rest waits in the store — the record of truth —
instead of in the broker. Metrics per link; a warning when a child's queue is nearly full.
"""
from __future__ import annotations

import logging
from typing import Callable

import sqlalchemy as sa

from shared import metrics as kernel_metrics
from shared.broker_admin import user_of
from shared.events import Event
from shared.links import Topology
from shared.publisher import ConfirmedPublisher, PublishError
from shared.store import EventStore
from shared.sync_link import Link, LinkRelay, age_seconds, downlinks, link_backlog, uplink
from shared.topology import LINK_QUEUE_ARGUMENTS, SYNC_EXCHANGE, child_link_queue

log = logging.getLogger(__name__)

DEFAULT_LINK_QUEUE_LIMIT = 100_000   # messages per child link queue (the policy's max-length)
WARN_AT = 0.8                         # share of the limit at which the operator is warned


class SyncRelays:
    def __init__(self, store: EventStore, topology: Topology, service: str, amqp_uri: str,
                 sync_config: dict, batch_size: int):
        self.store, self.topology, self.service = store, topology, service
        self.metrics = kernel_metrics.metrics()
        self.labels = {"node": topology.node.id, "service": service}
        self.queue_limit = int(sync_config.get("link_queue_limit", DEFAULT_LINK_QUEUE_LIMIT))
        self._closed = False
        self.uplink: LinkRelay | None = None
        self.downlinks: dict[str, LinkRelay] = {}
        up = uplink(topology)
        if up is not None:
            uri = topology.parent.amqp_uri
            self.uplink = LinkRelay(store, ConfirmedPublisher(uri, SYNC_EXCHANGE, passive=True), up, user_id=user_of(uri),
                                    batch_size=batch_size, on_published=self._on_sent(up))
        for link in downlinks(topology):
            queue = child_link_queue(service, link.peer.id)
            publisher = ConfirmedPublisher(amqp_uri, "", queues=[(queue, LINK_QUEUE_ARGUMENTS)])
            self.downlinks[link.peer.id] = LinkRelay(
                store, publisher, link, user_id=user_of(amqp_uri), routing_key=queue, batch_size=batch_size,
                on_published=self._on_sent(link, queue))

    @property
    def relays(self) -> list[LinkRelay]:
        return ([self.uplink] if self.uplink else []) + list(self.downlinks.values())

    def downlink(self, child_id: str) -> LinkRelay:
        return self.downlinks[child_id]

    def start(self, spawn: Callable, should_stop: Callable[[], bool], poll_interval: float) -> list:
        return [spawn(lambda relay=relay: relay.run(should_stop, poll_interval),
                      identifier=f"{self.service}.sync.{relay.link.name}") for relay in self.relays]

    def committed(self, events: list[Event]) -> None:
        """New events in the store: wake the relays whose links they cross."""
        for relay in self.relays:
            if any(relay.link.select(e) for e in events):
                relay.wake.set()

    def watch_backlogs(self) -> None:
        """Each link's backlog and lag gauges are counted in the store when Prometheus scrapes:
        always right, whatever the relays and writers are doing meanwhile."""
        for relay in self.relays:
            labels = dict(link=relay.link.name, **self.labels)
            figures = self._figures_of(relay.link)
            self.metrics.sync_backlog.labels(**labels).set_function(lambda f=figures: f()[0])
            self.metrics.sync_lag.labels(**labels).set_function(lambda f=figures: f()[1])

    def _figures_of(self, link: Link) -> Callable[[], tuple[float, float]]:
        """(backlog, age in seconds of the oldest event not yet sent) — the last known while the
        database is busy or away, or once the service stopped."""
        last = [(0, 0.0)]

        def figures() -> tuple[float, float]:
            if self._closed:
                return last[0]
            try:
                with self.store.engine.connect() as conn:
                    _, backlog, oldest = link_backlog(conn, link)
                last[0] = (backlog, age_seconds(oldest))
            except sa.exc.SQLAlchemyError:
                pass
            return last[0]
        return figures

    def close(self) -> None:
        self._closed = True
        for relay in self.relays:
            relay.wake.set()

    def _on_sent(self, link: Link, queue: str | None = None) -> Callable[[list[Event]], None]:
        labels = dict(link=link.name, **self.labels)

        def sent(events: list[Event]) -> None:
            if events:
                self.metrics.sync_forwarded.labels(**labels).inc(len(events))
                self.metrics.sync_last_forwarded.labels(**labels).set_to_current_time()
            if queue is not None and events:
                self._check_queue(self.downlinks[link.peer.id], queue, labels)
        return sent

    def _check_queue(self, relay: LinkRelay, queue: str, labels: dict) -> None:
        try:
            depth = relay.publisher.queue_depth(queue)
        except PublishError:
            return  # the next batch reconnects; the depth is only advice
        self.metrics.sync_queued.labels(**labels).set(depth)
        if depth >= WARN_AT * self.queue_limit:
            log.warning("sync link %s: %d of %d messages queued for child %s (it is offline or slow); at the "
                        "limit the rest waits in this node's store", labels["link"], depth, self.queue_limit,
                        relay.link.peer.id)
