"""Prometheus metrics every eldernet service gets for free.

All series carry ``node`` and ``service`` labels so one Prometheus can scrape many nodes on
one host. They are exposed on ``/metrics`` by :func:`serve` (one port per process: a village
box running every service in one process has one endpoint; a city with one process per service
has one per process). See docs/metrics.md for each series and what to alert on.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from nameko.extensions import DependencyProvider
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

log = logging.getLogger(__name__)

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    """The kernel's metric families, registered once per registry."""

    def __init__(self, registry: CollectorRegistry = DEFAULT_REGISTRY):
        labels = ["node", "service"]
        self.events_appended = Counter(
            "eldernet_events_appended_total", "Events appended to the service's event store.",
            labels + ["type"], registry=registry)
        self.events_published = Counter(
            "eldernet_events_published_total", "Events published by the outbox relay and confirmed by the broker.",
            labels, registry=registry)
        self.publish_failures = Counter(
            "eldernet_outbox_publish_failures_total", "Outbox batches the broker did not confirm (retried).",
            labels, registry=registry)
        self.outbox_backlog = Gauge(
            "eldernet_outbox_backlog", "Events stored but not yet confirmed by the broker.",
            labels, registry=registry)
        link = labels + ["link"]  # "up:<parent id>" or "down:<child id>" (tiered sync)
        self.sync_forwarded = Counter(
            "eldernet_sync_forwarded_total", "Events sent over a sync link and confirmed by the peer's broker.",
            link, registry=registry)
        self.sync_backlog = Gauge(
            "eldernet_sync_backlog", "Events stored here that a sync link has not yet had confirmed.",
            link, registry=registry)
        self.sync_lag = Gauge(
            "eldernet_sync_lag_seconds", "Age of the oldest event stored here that a sync link has not yet sent.",
            link, registry=registry)
        self.sync_last_forwarded = Gauge(
            "eldernet_sync_last_forwarded_timestamp_seconds", "When a sync link last had a batch confirmed (unix time).",
            link, registry=registry)
        self.sync_received = Counter(
            "eldernet_sync_received_total", "Events received over a sync link and stored (or held) here.",
            link, registry=registry)
        self.sync_refused = Counter(
            "eldernet_sync_refused_total", "Messages refused on a sync link (untrusted sender, area or origin).",
            link, registry=registry)
        self.sync_gaps = Counter(
            "eldernet_sync_gaps_total", "Gaps found on a sync link; each asks the sender to re-send.",
            link, registry=registry)
        self.sync_queued = Gauge(
            "eldernet_sync_link_queue_messages", "Messages waiting in a child's link queue on this node's broker.",
            link, registry=registry)
        self.sync_held = Gauge(
            "eldernet_sync_held", "Received events held until what they refer to arrives.",
            labels, registry=registry)
        self.events_consumed = Counter(
            "eldernet_events_consumed_total", "Events handled successfully by a consumer.",
            labels + ["handler", "type"], registry=registry)
        self.duplicates_ignored = Counter(
            "eldernet_events_duplicates_total", "Redelivered or duplicated events ignored by the inbox.",
            labels + ["handler"], registry=registry)
        self.dead_lettered = Counter(
            "eldernet_events_dead_lettered_total", "Messages sent to a dead-letter queue, by stage.",
            labels + ["handler", "stage"], registry=registry)
        self.handler_retries = Counter(
            "eldernet_handler_retries_total", "Handler failures that were retried.",
            labels + ["handler"], registry=registry)
        self.handler_seconds = Histogram(
            "eldernet_handler_seconds", "Time to handle one event, inbox and commit included.",
            labels + ["handler"], buckets=_LATENCY_BUCKETS, registry=registry)
        self.append_seconds = Histogram(
            "eldernet_store_append_seconds", "Time to append one batch to the event store.",
            labels, buckets=_LATENCY_BUCKETS, registry=registry)



_lock = threading.Lock()
_served_ports: set[int] = set()


def metrics() -> Metrics:
    """The process-wide metric families (created on first use, not at import)."""
    return families(Metrics)


def serve(port: int, addr: str = "127.0.0.1") -> bool:
    """Expose ``/metrics`` on ``port`` once per process; False when it is already served."""
    with _lock:
        if port in _served_ports:
            return False
        start_http_server(port, addr=addr)
        _served_ports.add(port)
    log.info("metrics on http://%s:%d/metrics", addr, port)
    return True


_families: dict[type, object] = {}
_families_lock = threading.Lock()


def families(kind: type):
    """The process's one instance of a service's metric families (``kind()`` registers them; a
    family may be registered only once per process)."""
    with _families_lock:
        if kind not in _families:
            _families[kind] = kind()
        return _families[kind]


class ServiceMetrics(DependencyProvider):
    """A service's own Prometheus families, made when the service is set up — not on first use,
    or a scrape before the first event would not find them (docs/metrics.md). ``factory`` returns
    the process's one set (a family may be registered only once)."""

    def __init__(self, factory: Callable[[], object]):
        self.factory = factory

    def setup(self) -> None:
        self.families = self.factory()

    def get_dependency(self, worker_ctx):
        return self.families
