"""Publishing with publisher confirms, many messages in flight.

Waiting for a confirm after each message costs ≈ 20× against no confirms (see
../shared/STACK.md); so the outbox relay publishes a whole batch, then waits until the broker has
confirmed every message of it. A nack, a lost connection or an unreachable broker fails the
batch; the relay then republishes from its cursor (at-least-once: consumers' inboxes drop the
repeats). Messages are not published as mandatory: one that no queue is bound for is confirmed and
dropped by the broker, which is what a topic exchange with no subscriber for that key means; the
store keeps every event for replay and sync.

Built on py-amqp (kombu's transport) because it exposes basic.ack/basic.nack per delivery tag,
which kombu's Producer and pika's BlockingConnection hide behind one-at-a-time confirms.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Iterable

import amqp
from kombu.utils.url import parse_url


class PublishError(Exception):
    """The broker did not confirm a batch (nack, closed connection or timeout)."""


@dataclass(frozen=True)
class OutgoingMessage:
    routing_key: str
    body: bytes
    properties: dict = field(default_factory=dict)


def connection_params(amqp_uri: str) -> dict:
    """py-amqp's arguments for ``amqp_uri``. ``amqps://`` (a link between nodes over the
    internet) is TLS on port 5671 by default, the broker's certificate checked against the
    system's CAs and the host name (a private CA: point ``SSL_CERT_FILE`` at it, docs/deploy.md)."""
    url = parse_url(amqp_uri)
    hostname = url.get("hostname") or "127.0.0.1"
    tls = url.get("transport") == "amqps"
    params = dict(
        host=f"{hostname}:{url.get('port') or (5671 if tls else 5672)}",
        userid=url.get("userid") or "guest",
        password=url.get("password") or "guest",
        virtual_host=url.get("virtual_host") or "/",
    )
    if tls:
        params["ssl"] = {"context": {}, "server_hostname": hostname}
    return params


class ConfirmedPublisher:
    """One connection and channel in confirm mode, publishing batches to one exchange."""

    def __init__(self, amqp_uri: str, exchange: str, exchange_type: str = "topic",
                 confirm_timeout: float = 30.0, connect_timeout: float = 5.0, heartbeat: int = 30,
                 queues: Iterable[tuple[str, dict]] = (), passive: bool = False):
        """``exchange`` "" is the default exchange (routing key = queue name); ``queues`` are
        (name, arguments) declared on connect, so a publish never goes to a missing queue.
        ``passive``: only check that the exchange exists (a child on its parent's broker may
        publish there but not declare or delete anything)."""
        self.passive = passive
        self.amqp_uri = amqp_uri
        self.queues = list(queues)
        self.exchange = exchange
        self.exchange_type = exchange_type
        self.confirm_timeout = confirm_timeout
        self.connect_timeout = connect_timeout
        self.heartbeat = heartbeat
        self._connection: amqp.Connection | None = None
        self._channel = None
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked: set[int] = set()

    @property
    def connected(self) -> bool:
        return self._connection is not None and self._connection.connected

    def connect(self) -> None:
        self.close()
        conn = amqp.Connection(**connection_params(self.amqp_uri), connect_timeout=self.connect_timeout,
                               heartbeat=self.heartbeat)
        conn.connect()
        channel = conn.channel()
        if self.exchange:
            channel.exchange_declare(self.exchange, self.exchange_type, durable=True, auto_delete=False,
                                     passive=self.passive)
        for name, arguments in self.queues:
            channel.queue_declare(name, durable=True, auto_delete=False, arguments=arguments)
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self._connection, self._channel = conn, channel
        self._next_tag, self._unconfirmed, self._nacked = 1, set(), set()

    def close(self) -> None:
        conn, self._connection, self._channel = self._connection, None, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - the connection is being dropped; nothing to save
                conn.collect()

    def queue_depth(self, queue: str) -> int:
        """Messages ready in ``queue`` (a passive declare on the publishing channel)."""
        try:
            if not self.connected:
                self.connect()
            return self._channel.queue_declare(queue, passive=True).message_count
        except (OSError, amqp.exceptions.AMQPError) as error:
            self.close()
            raise PublishError(f"cannot read the depth of {queue}: {error!r}") from error

    def publish_batch(self, messages: Iterable[OutgoingMessage]) -> int:
        """Publish every message, then wait until the broker confirmed all of them."""
        count = 0
        try:
            if not self.connected:
                self.connect()  # inside the try: a broker still down is a failed batch, retried
            for message in messages:
                self._channel.basic_publish(
                    amqp.Message(message.body, **message.properties),
                    exchange=self.exchange, routing_key=message.routing_key)
                self._unconfirmed.add(self._next_tag)
                self._next_tag += 1
                count += 1
            self._wait_for_confirms()
        except (OSError, amqp.exceptions.AMQPError, PublishError) as error:
            self.close()
            raise PublishError(f"batch of {count} not confirmed: {error!r}") from error
        return count

    def _wait_for_confirms(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishError(f"{len(self._unconfirmed)} messages unconfirmed after {self.confirm_timeout}s")
            try:
                self._connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                self._connection.heartbeat_tick()
        if self._nacked:
            nacked, self._nacked = len(self._nacked), set()
            raise PublishError(f"broker nacked {nacked} messages")

    def _settle(self, delivery_tag: int, multiple: bool) -> set[int]:
        settled = {t for t in self._unconfirmed if t <= delivery_tag} if multiple else {delivery_tag}
        self._unconfirmed -= settled
        return settled

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settle(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked |= self._settle(delivery_tag, multiple)
