"""The nameko entrypoint that consumes eldernet events: inbox, bounded retries, dead letters.

    class BookingService:
        name = "booking"
        uow = EventSourced(registry=...)

        @consume_events("eldernet.registry.FacilityRegistered", "eldernet.registry.FacilitySuspended")
        def on_facility_changed(self, event):
            with self.uow() as uow:      # records the event in the inbox in this transaction
                ...

Why not nameko's own ``@event_handler``: when its handler raises, the message is acked and the
event silently dropped (``requeue_on_error`` defaults to False), and with requeue on a poison
message loops forever. Here:

* a body that is not a valid CloudEvent, or whose payload fails its schema, is dead-lettered at
  once (stage ``parse`` / ``validate``) with the reason in a header, and acked;
* an event already in the consumer's inbox is acked and counted as a duplicate;
* a handler that raises is retried (requeued, with a growing pause) up to ``max_attempts``
  deliveries, then dead-lettered (stage ``handler``) with the exception as the reason;
* the queue is a quorum queue with a delivery limit, so even a message that kills the process
  every time it is handled ends in the dead-letter queue instead of looping.
"""
from __future__ import annotations

import logging
import threading
import time
from functools import partial

from amqp.exceptions import AMQPError
from kombu import Connection, Exchange, Queue, binding
from kombu.exceptions import KombuError
from nameko.containers import ContainerBeingKilled
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR, Entrypoint
from nameko.messaging import QueueConsumer

from shared import metrics as kernel_metrics
from shared.config import eldernet_section
from shared.dependencies import INBOX_KEY, EventSourced
from shared.events import EnvelopeError, Event
from shared.inbox import AlreadyHandled
from shared.publisher import ConfirmedPublisher, OutgoingMessage, PublishError
from shared.schemas import PayloadError
from shared.unit_of_work import InboxEntry
from shared.topology import (DEAD_ATTEMPTS_HEADER, DEAD_LETTER_EXCHANGE, DEAD_QUEUE_HEADER,
                             DEAD_REASON_HEADER, DEAD_ROUTING_KEY_HEADER, DEAD_STAGE_HEADER,
                             EVENTS_EXCHANGE, binding_pattern, consumer_queue_name,
                             dead_letter_queue_name)

log = logging.getLogger(__name__)

# The broker's own safety net (quorum queue x-delivery-limit). It is part of the queue's
# declaration, so it is a constant: changing it would make redeclaring existing queues fail.
BROKER_DELIVERY_LIMIT = 20
MAX_REASON_LENGTH = 1000


class RawQueueConsumer(QueueConsumer):
    """nameko's queue consumer, handing over raw messages instead of kombu-decoded bodies.

    kombu decodes by content type before calling back, and raises on a type it does not
    accept: a malformed or foreign message would break the consumer loop instead of reaching
    the dead-letter queue. ``on_message`` skips kombu's decoding; the entrypoint parses.
    """

    def get_consumers(self, consumer_cls, channel):
        for provider in self._providers:
            consumer = consumer_cls(queues=[provider.queue], on_message=partial(self._on_message, provider))
            consumer.qos(prefetch_count=provider.prefetch_count or self.prefetch_count)
            self._consumers[provider] = consumer
        return self._consumers.values()

    # A message is settled on the channel it came on. When the connection is gone (a broker
    # restart, a cut link) the broker hands the message out again on the next one: an acked one
    # was handled and the inbox recognises it, a requeued one is tried again. So a settlement that
    # cannot be sent is logged, not raised: raised in a worker, it would kill the whole service.
    def ack_message(self, message):
        self._settle("ack", super().ack_message, message)

    def requeue_message(self, message):
        self._settle("requeue", super().requeue_message, message)

    @staticmethod
    def _settle(what, settle, message):
        try:
            settle(message)
        except (OSError, AMQPError, KombuError) as error:
            log.warning("cannot %s message %s (its connection is gone: %s); the broker delivers it again",
                        what, message.properties.get("message_id"), error)

    def _on_message(self, provider, message):
        self.container.spawn_managed_thread(
            partial(provider.handle_message, message.body, message),
            identifier=f"{type(provider).__name__}.handle_message[{message.delivery_info.get('routing_key')}]")


class DeadLetters:
    """Publishes rejected messages, with their reason, to the node's dead-letter exchange."""

    def __init__(self, amqp_uri: str):
        self.publisher = ConfirmedPublisher(amqp_uri, DEAD_LETTER_EXCHANGE, exchange_type="direct")
        self.lock = threading.Lock()  # one channel, shared by the worker greenthreads

    def send(self, message, queue: str, stage: str, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update({
            DEAD_REASON_HEADER: reason[:MAX_REASON_LENGTH],
            DEAD_STAGE_HEADER: stage,
            DEAD_ATTEMPTS_HEADER: attempts,
            DEAD_QUEUE_HEADER: queue,
            DEAD_ROUTING_KEY_HEADER: message.delivery_info.get("routing_key", ""),
        })
        props = {k: v for k, v in message.properties.items()
                 if k in {"content_type", "content_encoding", "message_id", "type", "app_id",
                          "timestamp", "correlation_id"}}
        with self.lock:
            self.publisher.publish_batch([OutgoingMessage(
                routing_key=queue, body=message.body,
                properties=dict(props, delivery_mode=2, application_headers=headers))])

    def close(self) -> None:
        self.publisher.close()


MAX_MESSAGE_BYTES = 1_048_576  # default ELDERNET.consumer.max_message_bytes


class EventConsumer(Entrypoint):
    queue_consumer = RawQueueConsumer()
    exchange = EVENTS_EXCHANGE  # where the node's services publish
    prefetch_count: int | None = None  # None: nameko's max_workers, handled concurrently

    def __init__(self, *event_types: str, area_code: str | None = None, **kwargs):
        if not event_types:
            raise ValueError("consume_events needs at least one event type ('*' for all)")
        self.event_types = event_types
        self.area_code = area_code
        super().__init__(**kwargs)

    # -- lifecycle -------------------------------------------------------------------------
    def setup(self) -> None:
        section = eldernet_section(self.container.config)
        consumer_config = section.get("consumer") or {}
        self.max_attempts = min(int(consumer_config.get("max_attempts", 5)), BROKER_DELIVERY_LIMIT)
        self.retry_delay = float(consumer_config.get("retry_delay", 0.2))
        self.max_message_bytes = int(consumer_config.get("max_message_bytes", MAX_MESSAGE_BYTES))
        self.service = self.container.service_name
        self.queue_name = consumer_queue_name(self.service, self.method_name)
        self.consumer_name = f"{self.service}.{self.method_name}"
        self.events = self._event_sourced()
        self.declare(self.service, self.method_name, self.events.registry)
        self.dead_letters = DeadLetters(self.container.config["AMQP_URI"])
        self.metrics = kernel_metrics.metrics()
        self.labels = {"node": self.events.node.id, "service": self.service, "handler": self.method_name}
        self.queue_consumer.register_provider(self)

    def stop(self) -> None:
        self.queue_consumer.unregister_provider(self)
        self.dead_letters.close()
        super().stop()

    def declare(self, service: str, method: str, registry) -> None:
        """Declare the queue this entrypoint consumes from (with its dead-letter queue)."""
        self.queue = self.make_queue(service, method, registry)
        declare_consumer_queues(self.container.config["AMQP_URI"], [self.queue])

    def bound_types(self, registry) -> tuple:
        """The event types the queue is bound for."""
        return self.event_types

    def make_queue(self, service: str, method: str, registry) -> Queue:
        return consumer_queue(service, method, self.bound_types(registry), self.area_code, self.exchange)

    def _event_sourced(self) -> EventSourced:
        providers = [d for d in self.container.dependencies if isinstance(d, EventSourced)]
        if len(providers) != 1:
            raise TypeError(f"{self.service}.{self.method_name}: consume_events needs exactly one "
                            f"EventSourced dependency on the service (found {len(providers)})")
        return providers[0]

    # -- one message -----------------------------------------------------------------------
    def handle_message(self, body, message) -> None:
        attempts = delivery_attempts(message)
        event = self.parse_or_park(body, message, attempts)
        if event is None:
            return
        refusal = self.refusal(event)
        if refusal:
            self._dead_letter(message, "refused", refusal, attempts)
            return
        if self.events.seen(self.consumer_name, event):
            self._duplicate(message)
            return
        self.spawn(message, InboxEntry(self.consumer_name, event), attempts)

    def parse_or_park(self, body, message, attempts: int) -> Event | None:
        """The message's event, or None when it is not a valid one (then dead-lettered)."""
        try:
            return self._parse(body)
        except (EnvelopeError, PayloadError) as error:
            stage = "parse" if isinstance(error, EnvelopeError) else "validate"
            self._dead_letter(message, stage, str(error), attempts)
            return None

    def spawn(self, message, entry: InboxEntry, attempts: int) -> None:
        """Run the handler for ``entry.event`` in a worker; the inbox records it on success."""
        started = time.perf_counter()
        try:
            self.container.spawn_worker(
                self, (entry.event,), {}, context_data={INBOX_KEY: entry},
                handle_result=partial(self.handle_result, message, entry, attempts, started))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def refusal(self, event: Event) -> str | None:
        """Why this consumer will not take ``event`` at all (parked, counted, never retried)."""
        return None

    def _parse(self, body) -> Event:
        # An event is a record of one fact; a huge one is a mistake or an attack, and parsing it
        # would hold a worker and memory before its schema could refuse it.
        if len(body) > self.max_message_bytes:
            raise EnvelopeError("body", f"{len(body)} bytes, more than the limit of {self.max_message_bytes} "
                                        "(ELDERNET.consumer.max_message_bytes)")
        event = Event.from_json(body)
        if event.type in self.events.registry:
            event = self.events.registry.validate(event)
        return event

    def handle_result(self, message, entry, attempts, started, worker_ctx, result, exc_info):
        try:
            if exc_info is None:
                return self._succeeded(message, entry, started, result)
            if isinstance(exc_info[1], AlreadyHandled):
                self._duplicate(message)
                return result, None
            self._failed(message, attempts, exc_info[1])
            return result, exc_info
        finally:
            self.metrics.handler_seconds.labels(**self.labels).observe(time.perf_counter() - started)

    def _succeeded(self, message, entry, started, result):
        if not entry.recorded:
            try:
                self.events.record_handled(entry)
            except AlreadyHandled:
                self._duplicate(message)
                return result, None
        self.metrics.events_consumed.labels(type=entry.event.type, **self.labels).inc()
        self.queue_consumer.ack_message(message)
        return result, None

    def _failed(self, message, attempts: int, error: BaseException) -> None:
        if attempts >= self.max_attempts:
            self._dead_letter(message, "handler", f"{type(error).__name__}: {error}", attempts)
            return
        self.metrics.handler_retries.labels(**self.labels).inc()
        # A short, growing pause so a failing dependency gets time to come back.
        time.sleep(min(self.retry_delay * 2 ** (attempts - 1), 5.0))
        self.queue_consumer.requeue_message(message)

    def _duplicate(self, message) -> None:
        self.metrics.duplicates_ignored.labels(**self.labels).inc()
        self.queue_consumer.ack_message(message)

    def _dead_letter(self, message, stage: str, reason: str, attempts: int) -> None:
        log.warning("%s: dead-lettering message %s (%s): %s", self.queue_name,
                    message.properties.get("message_id"), stage, reason)
        try:
            self.dead_letters.send(message, self.queue_name, stage, reason, attempts)
        except PublishError as error:
            # The broker is away: keep the message (unacked -> requeued); the broker's delivery
            # limit still bounds how often it comes back.
            log.error("%s: cannot dead-letter now, requeueing: %s", self.queue_name, error)
            self.queue_consumer.requeue_message(message)
            return
        self.metrics.dead_lettered.labels(stage=stage, **self.labels).inc()
        self.parked(message)
        self.queue_consumer.ack_message(message)

    def parked(self, message) -> None:
        """Called once ``message`` is safely in the dead-letter queue, before it is acked."""


consume_events = EventConsumer.decorator


def delivery_attempts(message) -> int:
    return int((message.headers or {}).get("x-delivery-count", 0)) + 1


def consumer_queue(service: str, method: str, event_types, area_code: str | None = None,
                   exchange_name: str = EVENTS_EXCHANGE, single_active: bool = False) -> Queue:
    """The quorum queue of one consumer, bound to an exchange for its event types."""
    exchange = Exchange(exchange_name, type="topic", durable=True)
    name = consumer_queue_name(service, method)
    return Queue(
        name,
        bindings=[binding(exchange, routing_key=binding_pattern(t, area_code)) for t in event_types],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": BROKER_DELIVERY_LIMIT,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": name,
            # Sync intakes keep a link's order: one consumer at a time even with replicas.
            **({"x-single-active-consumer": True} if single_active else {}),
        },
    )


def consumer_queues_of(service_class: type) -> list[Queue]:
    """Every @consume_events queue a service class will consume from."""
    queues = []
    registry = next((v.registry for v in vars(service_class).values() if isinstance(v, EventSourced)), None)
    for method_name in dir(service_class):
        method = getattr(service_class, method_name, None)
        for entrypoint in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            queue = (entrypoint.make_queue(service_class.name, method_name, registry)
                     if isinstance(entrypoint, EventConsumer) else None)
            if queue is not None:  # None: the queue is on another node's broker
                queues.append(queue)
    return queues


def declare_consumer_queues(amqp_uri: str, queues: list[Queue]) -> None:
    """Declare consumer queues with their bindings and dead-letter queues.

    The node runner does this for every service before any service starts: an event published
    before its consumer's queue exists would otherwise be routed nowhere and lost to that consumer.
    """
    dead_letters = Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        for queue in queues:
            queue(channel).declare()
            Queue(dead_letter_queue_name(queue.name), exchange=dead_letters, routing_key=queue.name,
                  durable=True)(channel).declare()
