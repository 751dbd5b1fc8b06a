"""The entrypoints that receive what other nodes send over sync links (docs/sync.md).

    @receive_synced_events()
    def receive_synced(self, event):
        with self.uow() as uow:
            uow.ingest(event)

registers two consumers on the method:

* :class:`ChildrenIntake` — on this node's broker, the quorum queue bound to ``eldernet.sync``
  that the children's uplinks publish to;
* :class:`ParentIntake` — on the parent's broker (over this node's own connection: a village
  behind NAT only dials out), this node's queue ``eldernet.<service>.down.<node id>``.

Both check who sent the message (RabbitMQ validates ``user_id`` against the publishing
connection's user, so it cannot be forged), what it is about and where it was recorded; follow
the link's chain of positions (shared/sync_link.py) to drop repeats and ask for what was lost;
and take one message at a time so a link's order is kept. Control messages (re-send requests)
travel the same queues.
"""
from __future__ import annotations

import logging
import threading
import time

from kombu import Connection, Exchange, Queue
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from shared.entrypoints import (DeadLetters, EventConsumer, RawQueueConsumer, consumer_queue,
                                delivery_attempts)
from shared.events import Event
from shared.handoff import handoff_type, stream_of as handoff_stream
from shared.recoding import recoded_type
from shared.record_handoff import carried, handed_over_type
from shared.links import Neighbour, Topology
from shared.publisher import ConfirmedPublisher, PublishError
from shared.sync_link import (RESEND_FROM_HEADER, RESEND_TYPE, chain_step, link_epoch, link_position,
                              received_cursor, resend_request)
from shared.topology import (DEAD_LETTER_EXCHANGE, LINK_QUEUE_ARGUMENTS, SYNC_EXCHANGE, child_link_queue, consumer_queue_name,
                             dead_letter_queue_name, resend_routing_key)
from shared.unit_of_work import InboxEntry

log = logging.getLogger(__name__)

RESEND_INTERVAL = 5.0  # seconds between two re-send requests on one link while a gap lasts


class _LinkIntake(EventConsumer):
    """What both directions share: sender check, control messages, the chain, the hold."""

    prefetch_count = 1  # one at a time: a link's events are stored in the order they were sent
    receives_synced_events = True  # what EventSourced looks for before it starts the service's links

    def __init__(self, **kwargs):
        super().__init__("*", **kwargs)
        self._last_request: dict[str, float] = {}
        self._gaps: dict[str, tuple[Neighbour, int]] = {}  # peer id -> (peer, position asked from)

    def start(self) -> None:
        super().start()
        self._stopping = threading.Event()
        self._asker = self.container.spawn_managed_thread(self._ask_again, identifier=f"{self.queue_name}.gaps")

    def stop(self) -> None:
        if getattr(self, "_asker", None) is not None:
            self._stopping.set()
            self._asker.wait()
        super().stop()

    def handle_message(self, body, message) -> None:
        try:
            self.take(body, message)
        except Exception as error:  # noqa: BLE001 - a bad message must not kill the service
            log.exception("%s: cannot take message %s", self.queue_name, message.properties.get("message_id"))
            self._dead_letter(message, "intake", f"{type(error).__name__}: {error}", delivery_attempts(message))

    def receive(self, body, message, peer: Neighbour, link: str) -> None:
        attempts = delivery_attempts(message)
        if message.properties.get("type") == RESEND_TYPE:
            self.on_resend(peer, int((message.headers or {}).get(RESEND_FROM_HEADER, 0)))
            self.queue_consumer.ack_message(message)
            return
        event = self.parse_or_park(body, message, attempts)
        if event is None:
            return
        refusal = self.link_refusal(peer, event) or self._unchained(message)
        if refusal:
            self.metrics.sync_refused.labels(link=link, **self.link_labels).inc()
            self._dead_letter(message, "refused", refusal, attempts)
            return
        prev, pos = link_position(message.headers)
        cursor = received_cursor(peer.id)
        if not self._in_epoch(cursor, link_epoch(message.headers)):
            self._duplicate(message)  # sent before the link started over: it comes again
            return
        have = self.events.link_received(cursor)
        step = chain_step(have, prev, pos)
        if step == "duplicate":
            self._duplicate(message)
        elif step == "gap":
            self._gap(peer, link, have, message)
        elif self.events.seen(self.consumer_name, event):
            self.events.advance_link(cursor, pos)  # stored already (another path): just move on
            self._duplicate(message)
        else:
            self.metrics.sync_received.labels(link=link, **self.link_labels).inc()
            self.spawn(message, InboxEntry(self.consumer_name, event, link_cursor=(cursor, pos)), attempts)

    def _in_epoch(self, cursor: str, epoch: int) -> bool:
        """Follow the sender into a new epoch of the link (it started over after what the link
        carries changed, shared/sync_link.py): take everything again from the start; what is
        stored already is recognised. False for a message of an older epoch."""
        known = self.events.link_received(cursor + ":epoch")
        if epoch > known:
            log.info("%s: link %s starts over (epoch %d)", self.queue_name, cursor, epoch)
            self.events.advance_link(cursor, 0)
            self.events.advance_link(cursor + ":epoch", epoch)
        return epoch >= known

    def parked(self, message) -> None:
        """A parked message that was the next on its link moves the link past it: otherwise the
        sender would be asked for it again and again and nothing after it would be stored. It
        waits in the dead-letter queue for an operator."""
        peer, position = self.peer_of(message), link_position(message.headers)
        if peer is None or position is None:
            return
        cursor = received_cursor(peer.id)
        if chain_step(self.events.link_received(cursor), *position) == "apply":
            self.events.advance_link(cursor, position[1])

    @property
    def link_labels(self) -> dict:
        return {"node": self.events.node.id, "service": self.service}

    def refuse_sender(self, message, sender: str | None, expected: str) -> None:
        self.metrics.sync_refused.labels(link="unknown", **self.link_labels).inc()
        self._dead_letter(message, "refused", f"sender {sender!r} is not {expected}", delivery_attempts(message))

    @staticmethod
    def _unchained(message) -> str | None:
        return None if link_position(message.headers) else "no link position headers (not sent by a link relay)"

    def _gap(self, peer: Neighbour, link: str, have: int, message) -> None:
        """Lost messages before this one: drop it, ask the sender to re-send from what we have."""
        self.metrics.sync_gaps.labels(link=link, **self.link_labels).inc()
        self._gaps[peer.id] = (peer, have)
        if time.monotonic() - self._last_request.get(peer.id, 0.0) >= RESEND_INTERVAL:
            log.warning("%s: gap on link %s after position %d; asking %s to re-send", self.queue_name, link,
                        have, peer.id)
            self._ask(peer, have)
        self.queue_consumer.ack_message(message)

    def _ask(self, peer: Neighbour, have: int) -> None:
        try:
            self.request_resend(peer, have)
            self._last_request[peer.id] = time.monotonic()
        except PublishError as error:
            log.warning("%s: cannot ask %s to re-send now: %s", self.queue_name, peer.id, error)

    def _ask_again(self) -> None:
        """While a gap lasts (no progress past it), ask again: the request or the re-sent
        messages may be lost too, and the gap's message may have been the link's last."""
        while not self._stopping.wait(RESEND_INTERVAL):
            for peer_id, (peer, have) in list(self._gaps.items()):
                now_have = self.events.link_received(received_cursor(peer_id))
                if now_have > have:
                    self._gaps.pop(peer_id, None)
                elif time.monotonic() - self._last_request.get(peer_id, 0.0) >= RESEND_INTERVAL:
                    self._ask(peer, now_have)

    # -- per direction ----------------------------------------------------------------------
    def link_refusal(self, peer: Neighbour, event: Event) -> str | None:
        raise NotImplementedError

    def on_resend(self, peer: Neighbour, from_position: int) -> None:
        raise NotImplementedError

    def request_resend(self, peer: Neighbour, from_position: int) -> None:
        raise NotImplementedError


class IntakeQueueConsumer(RawQueueConsumer):
    """A connection and channel of its own: RabbitMQ applies a channel's last prefetch setting to
    all its consumers, and the intake must keep its prefetch of one whatever else the service
    consumes."""


class ChildrenIntake(_LinkIntake):
    """Events the children forward up, on this node's ``eldernet.sync`` exchange."""

    exchange = SYNC_EXCHANGE
    queue_consumer = IntakeQueueConsumer()

    def setup(self) -> None:
        super().setup()
        self.topology = self.events.topology
        self.requests = ConfirmedPublisher(
            self.container.config["AMQP_URI"], "",
            queues=[(child_link_queue(self.service, c.id), LINK_QUEUE_ARGUMENTS) for c in self.topology.children])

    def stop(self) -> None:
        self.requests.close()
        super().stop()

    def make_queue(self, service: str, method: str, registry) -> Queue:
        types = tuple(registry.types) + (handoff_type(service), recoded_type(service), handed_over_type(service),
                                         resend_routing_key(service))
        return consumer_queue(service, method, types, exchange_name=SYNC_EXCHANGE, single_active=True)

    def take(self, body, message) -> None:
        child = self.peer_of(message)
        if child is None:
            self.refuse_sender(message, message.properties.get("user_id"), "a child of this node (sync.children)")
            return
        self.receive(body, message, child, f"up:{child.id}")

    def peer_of(self, message) -> Neighbour | None:
        return self.topology.child_by_user(message.properties.get("user_id"))

    def link_refusal(self, child: Neighbour, event: Event) -> str | None:
        # Trust: a child speaks only for its own subtree — about its area, recorded inside it
        # (no origin area: an event from before it existed, taken as the child's own), and
        # only about records written there: not a sibling's, not reference data kept above.
        if not child.contains(event.area_code):
            return (f"event {event.id} from child {child.id} is about area {event.area_code}, "
                    f"outside the child's area {child.area_code}")
        if event.origin_area is not None and not child.contains(event.origin_area):
            return (f"event {event.id} from child {child.id} was recorded at {event.origin_node} "
                    f"(area {event.origin_area}), outside the child's subtree {child.area_code}")
        home = self.events.home_area(event.stream_id, event.area_code)
        first_area = self.events.stream_area(event.stream_id)
        if (not child.contains(home) or event.stream_id == handoff_stream(child.area_code)
                or (first_area is not None and not child.contains(first_area))):
            return (f"event {event.id} from child {child.id} writes to {event.stream_id}, "
                    f"a record not written in the child's subtree {child.area_code}")
        if not self.events.stores_all(carried(event, self.service)):
            # A moved record's history is taken down from a parent only (shared/record_handoff.py).
            return f"event {event.id} from child {child.id} carries a history this node does not hold"
        return None

    def on_resend(self, child: Neighbour, from_position: int) -> None:
        self.events.downlink(child.id).resend_from(from_position)

    def request_resend(self, child: Neighbour, from_position: int) -> None:
        self.requests.publish_batch([resend_request(child_link_queue(self.service, child.id), from_position,
                                                    self.events.broker_user)])


class ParentQueueConsumer(RawQueueConsumer):
    """Consumes from the parent node's broker over this node's own (outgoing) connection."""

    def setup(self):
        parent = Topology.from_config(self.container.config).parent
        self._parent_uri = parent.amqp_uri if parent else None
        super().setup()

    @property
    def amqp_uri(self):
        return self._parent_uri

    def start(self):
        # nameko waits until the consumers are ready; the parent may be unreachable for days, and
        # the node must start and work meanwhile. The consume loop keeps reconnecting on its own.
        if self._parent_uri is not None and not self._starting:
            self._starting = True
            self._gt = self.container.spawn_managed_thread(self.run)
            self._gt.link(self._handle_thread_exited)

    def stop(self):
        if self._gt is not None:
            super().stop()


class ParentIntake(_LinkIntake):
    """Events the parent sends down, from this node's queue on the parent's broker."""

    queue_consumer = ParentQueueConsumer()

    def setup(self) -> None:
        self.service = self.container.service_name
        self.events = self._event_sourced()
        self.topology = self.events.topology
        self.parent = self.topology.parent
        if self.parent is None:
            return  # the city, or a node not linked yet: nothing comes down
        super().setup()

    def make_queue(self, service: str, method: str, registry) -> Queue | None:
        return None  # not on this node's broker (the runner declares only those)

    def declare(self, service: str, method: str, registry) -> None:
        self.queue_name = child_link_queue(service, self.events.node.id)
        self.queue = Queue(self.queue_name, durable=True, queue_arguments=LINK_QUEUE_ARGUMENTS)
        dead_letters = Exchange(DEAD_LETTER_EXCHANGE, type="direct", durable=True)
        with Connection(self.container.config["AMQP_URI"]) as connection:  # parked here, on our own broker
            Queue(dead_letter_queue_name(self.queue_name), exchange=dead_letters, routing_key=self.queue_name,
                  durable=True)(connection.default_channel).declare()
        self.requests = ConfirmedPublisher(self.parent.amqp_uri, SYNC_EXCHANGE, passive=True)

    def stop(self) -> None:
        if self.parent is not None:
            self.requests.close()
            super().stop()

    def start(self) -> None:
        if self.parent is not None:
            super().start()

    def take(self, body, message) -> None:
        if self.peer_of(message) is None:
            self.refuse_sender(message, message.properties.get("user_id"),
                               f"the parent node's broker user {self.parent.broker_user!r}")
            return
        self.receive(body, message, self.parent, f"down:{self.parent.id}")

    def peer_of(self, message) -> Neighbour | None:
        return self.parent if message.properties.get("user_id") == self.parent.broker_user else None

    def link_refusal(self, parent: Neighbour, event: Event) -> str | None:
        node, topology = self.events.node, self.events.topology
        if not (topology.holds(event.area_code) or topology.encloses(event.area_code)):
            return f"event {event.id} is about area {event.area_code}, which neither lies in nor encloses {node.area_code}"
        if topology.holds(event.origin_area):
            return f"event {event.id} was recorded in this node's own subtree ({event.origin_node}); it cannot come down"
        return None

    def on_resend(self, parent: Neighbour, from_position: int) -> None:
        if self.events.uplink is not None:
            self.events.uplink.resend_from(from_position)

    def request_resend(self, parent: Neighbour, from_position: int) -> None:
        self.requests.publish_batch([resend_request(resend_routing_key(self.service), from_position,
                                                    self.events.broker_user)])


def takes_synced_events(service_class: type) -> bool:
    """Whether a service class has a ``@receive_synced_events`` method (and so has sync links)."""
    return any(isinstance(entrypoint, _LinkIntake)
               for name in dir(service_class)
               for entrypoint in getattr(getattr(service_class, name, None), ENTRYPOINT_EXTENSIONS_ATTR, ()))


def receive_synced_events(**kwargs):
    """Decorate the service method that stores events received over sync links (both ways)."""
    def register(fn):
        ChildrenIntake.decorator(**kwargs)(fn)
        ParentIntake.decorator(**kwargs)(fn)
        return fn
    return register


__all__ = ["ChildrenIntake", "ParentIntake", "receive_synced_events", "consumer_queue_name"]
