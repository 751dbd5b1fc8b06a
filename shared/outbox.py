"""The transactional outbox: the store itself is the outbox.

Events are committed once, in the store, in the same transaction as everything else a command
changed. The relay follows the store's global positions from a persisted cursor and publishes
each batch to the node's durable topic exchange with publisher confirms and persistent
messages; only when the whole batch is confirmed does the cursor move. So every committed
event is published, in store order; a crash or a broker outage between publish and cursor
update re-sends (never loses) a batch, and the consumers' inboxes drop the repeats.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import sqlalchemy as sa

from shared import cursors
from shared.events import CONTENT_TYPE, Event
from shared.publisher import ConfirmedPublisher, OutgoingMessage, PublishError
from shared.store import EventStore

log = logging.getLogger(__name__)


def to_message(event: Event) -> OutgoingMessage:
    """An event as an AMQP 0-9-1 message: structured CloudEvent body, persistent, id as message_id."""
    return OutgoingMessage(
        routing_key=event.routing_key,
        body=event.to_json(),
        properties=dict(
            content_type=CONTENT_TYPE,
            content_encoding="utf-8",
            delivery_mode=2,
            message_id=event.id,
            type=event.type,
            app_id=event.source,
            timestamp=int(event.time.timestamp()),
            correlation_id=event.correlation_id,
        ),
    )


class Backoff:
    """Exponential back-off between retries: 0.2 s doubling up to ``maximum``."""

    def __init__(self, initial: float = 0.2, maximum: float = 15.0):
        self.initial, self.maximum = initial, maximum
        self.current = initial

    def next(self) -> float:
        delay, self.current = self.current, min(self.current * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self.current = self.initial


class OutboxRelay:
    """Publishes a store's events after its cursor, batch by batch, with confirms."""

    def __init__(self, store: EventStore, publisher: ConfirmedPublisher, *, name: str = "outbox",
                 batch_size: int = 500, on_published: Callable[[list[Event]], None] | None = None,
                 select: Callable[[Event], bool] | None = None):
        """``select``: which events to send (default all); the cursor passes over the others."""
        self.store = store
        self.publisher = publisher
        self.cursor_name = name
        self.batch_size = batch_size
        self.on_published = on_published or (lambda events: None)
        self.select = select or (lambda event: True)
        self.wake = threading.Event()

    def cursor(self) -> int:
        with self.store.engine.connect() as conn:
            return cursors.get(conn, self.cursor_name)

    def backlog(self) -> int:
        return self.store.head_position() - self.cursor()

    def publish_pending(self) -> int:
        """Publish everything after the cursor; returns how many were published."""
        published = 0
        position = self.cursor()
        while True:
            events = self.store.read_all(position, self.batch_size)
            if not events:
                return published
            chosen = [e for e in events if self.select(e)]
            if chosen:
                self.publisher.publish_batch(to_message(e) for e in chosen)
            position = events[-1].position
            with self.store.engine.begin() as conn:
                cursors.advance(conn, self.cursor_name, position)
            published += len(chosen)
            self.on_published(chosen)

    def run(self, should_stop: Callable[[], bool], poll_interval: float = 0.05,
            on_error: Callable[[Exception], None] | None = None) -> None:
        """Relay until ``should_stop()``; waits for ``wake`` or ``poll_interval`` when idle."""
        backoff = Backoff()
        while not should_stop():
            try:
                self.publish_pending()
                backoff.reset()
            except (PublishError, sa.exc.OperationalError) as error:
                # The broker is away, or the database is busy or restarting: both pass.
                delay = backoff.next()
                log.warning("outbox %s: cannot relay now, retrying in %.1fs: %s",
                            self.cursor_name, delay, error)
                if on_error:
                    on_error(error)
                time.sleep(delay)
                continue
            self.wake.wait(poll_interval)
            self.wake.clear()
