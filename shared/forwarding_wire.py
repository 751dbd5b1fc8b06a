"""How forwarded commands and their answers travel between neighbouring nodes (shared/forwarding.py):
queue names and routing keys, the messages, and the broker connections they go over.

On a parent node's vhost, for each service:

* ``eldernet.<service>.commands.<child id>`` — commands the parent forwards down to that child,
  drained by the child over its own connection; the answers go to the parent's ``eldernet.sync``
  exchange, key ``eldernet.sync.Reply.<reply id>``, bound to the parent process's reply queue
  ``eldernet.<service>.forward_replies.<reply id>`` (exclusive: it goes with the process).
* ``eldernet.<service>.forwarded_commands`` — bound to ``eldernet.sync`` with key
  ``eldernet.sync.Command.<service>``: the commands the children forward up. The answer to one
  goes to ``eldernet.<service>.replies.<child id>``, which that child drains.

A command's body is the request as the gateway sends it to ``<service>.http`` (principal
included); its headers carry the hop count and the nodes it passed; it expires when its sender
stops waiting. An answer's body is the ``{"status", "body"}`` the home node answered. Both are
transient: worthless once their sender has given up.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any, Callable

from nameko.extensions import ProviderCollector
from nameko.rpc import ServiceProxy
from nameko.standalone.rpc import ServiceRpcProxy

from shared.broker_admin import user_of
from shared.entrypoints import RawQueueConsumer
from shared.publisher import ConfirmedPublisher, OutgoingMessage, PublishError
from shared.sync_intake import ParentQueueConsumer
from shared.topology import (children_commands_queue, command_routing_key, commands_queue,  # noqa: F401
                             process_replies_queue, replies_queue, reply_routing_key)  # (names live in topology)

HOPS_HEADER = "x-eldernet-hops"
VIA_HEADER = "x-eldernet-via"  # the nodes the command passed, comma-separated
COMMAND_TYPE = "eldernet.sync.Command"
REPLY_TYPE = "eldernet.sync.Reply"
_REPLY_KEY = re.compile(r"eldernet\.sync\.Reply\.[0-9a-f]{32}")
# Classic, not quorum: a forwarded command is worth something only while its sender waits.
# Replicating it buys nothing (one lost with a broker is a 503, like a cut link) and a quorum
# queue writes every message to its Raft log. Parent and child declare these queues alike.
QUEUE_ARGUMENTS = {"x-queue-type": "classic"}


def is_reply_key(routing_key: str) -> bool:
    """A parent's reply key: the only routing key a child publishes an answer with."""
    return _REPLY_KEY.fullmatch(routing_key) is not None


# -- messages ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForwardedCommand:
    request: dict
    hops: int
    via: list[str]
    seconds: float  # how long its sender waits for the answer (its expiration)


def command(routing_key: str, request: dict, correlation_id: str, hops: int, via: list[str], seconds: float,
            user_id: str, reply_to: str | None = None) -> OutgoingMessage:
    expiration = str(max(1, int(seconds * 1000)))
    return OutgoingMessage(routing_key, _json(request), _properties(
        COMMAND_TYPE, correlation_id, expiration, user_id, reply_to=reply_to,
        application_headers={HOPS_HEADER: hops, VIA_HEADER: ",".join(via)}))


def answer(routing_key: str, response: dict, to_command, user_id: str) -> OutgoingMessage:
    properties = to_command.properties
    return OutgoingMessage(routing_key, _json(response), _properties(
        REPLY_TYPE, properties.get("correlation_id"), properties.get("expiration"), user_id))


def parse_command(message) -> ForwardedCommand:
    """Raises ValueError or TypeError for what is not a forwarded command."""
    request = json.loads(message.body)
    if not isinstance(request, dict):
        raise ValueError("the body is not a JSON object")
    expiration = message.properties.get("expiration")
    if not expiration:
        raise ValueError("it has no expiration (it could be executed after its sender gave up)")
    headers = message.headers or {}
    via = [node for node in str(headers.get(VIA_HEADER) or "").split(",") if node]
    return ForwardedCommand(request, int(headers.get(HOPS_HEADER, 0)), via, int(expiration) / 1000)


def parse_answer(body: bytes) -> dict:
    response = json.loads(body)
    if not (isinstance(response, dict) and isinstance(response.get("status"), int)):
        raise ValueError("not {'status', 'body'}")
    return response


def _properties(kind: str, correlation_id: str | None, expiration_ms: str | None, user_id: str, **more) -> dict:
    return {"content_type": "application/json", "delivery_mode": 1, "type": kind, "user_id": user_id,
            "correlation_id": correlation_id, "expiration": expiration_ms, **more}


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- connections ------------------------------------------------------------------------------------
@dataclass(eq=False)
class Listener:
    """One queue a nameko queue consumer drains for the forwarder."""

    consumer: Any
    queue: Any
    handle: Callable[[Any], None]
    prefetch_count: int | None = None

    def handle_message(self, body, message) -> None:
        self.consumer.ack_message(message)  # taken before it is handled: a command runs at most once
        self.handle(message)

    def leave(self) -> None:
        self.consumer.unregister_provider(self)


class OwnBrokerConsumer(RawQueueConsumer):
    """The forwarder's own connection to this node's broker. Not the event consumers': kombu sets
    each consumer's prefetch before any of them consumes, so on one channel the last one set holds
    for all, and an intake's one-at-a-time (its link's order) would become ours."""

    def start(self):
        if self._providers:  # a node without children has nothing to listen for here
            super().start()

    def stop(self):
        if self._gt is not None:
            super().stop()


class ParentBrokerConsumer(ParentQueueConsumer):
    """The forwarder's connection to the parent's broker, which may never have been reached when
    the node stops (a village started while its town was away)."""

    def unregister_provider(self, provider):
        if self._consumers_ready.ready():
            super().unregister_provider(provider)
        else:  # no broker consumer to cancel; nameko's own path allows only one provider to leave
            ProviderCollector.unregister_provider(self, provider)


class OwnServiceProxy(ServiceRpcProxy):
    """nameko's standalone RPC proxy (a reply queue for the call, outside any worker), its request
    expiring when the caller stops waiting, so a busy service does not serve it after that."""

    def __init__(self, service: str, config: dict, timeout: float):
        super().__init__(service, config, timeout=timeout)
        self._proxy = ServiceProxy(self._worker_ctx, service, self._reply_listener, expiration=timeout)


class SharedPublisher:
    """A confirmed publisher shared by greenthreads, checking its connection before each use."""

    def __init__(self, amqp_uri: str, exchange: str, ping_queue: str, timeout: float, **kwargs):
        self.user = user_of(amqp_uri)
        self.ping_queue = ping_queue
        self._publisher = ConfirmedPublisher(amqp_uri, exchange, confirm_timeout=timeout,
                                             connect_timeout=min(timeout, 5.0), **kwargs)
        self._lock = threading.Lock()

    def publish(self, message: OutgoingMessage) -> None:
        with self._lock:
            if self._publisher.connected:
                # One round trip first: a connection the link dropped since its last use is found
                # dead now, not after the command went, when it could not be told whether it arrived.
                try:
                    self._publisher.queue_depth(self.ping_queue)
                except PublishError:
                    pass  # closed: publish_batch connects afresh, or fails if the broker is away
            self._publisher.publish_batch([message])

    def close(self) -> None:
        self._publisher.close()
