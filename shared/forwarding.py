"""Single writer across the tiers (issue #4): a command sent to a node that is not the home of the
record it writes is forwarded to the home node, hop by hop over the sync links, and the home
node's answer is returned; when the home node cannot be reached the answer is 503, naming it.

    class RegistryService:
        home_node = HomeNodeForwarder()

        @rpc
        def http(self, request):
            return self.home_node.serve(request, lambda: jsonable(REGISTRY_API.dispatch(self, request)))

``serve`` answers the request here first. Only an answer ``409 not_home_node`` (the unit of work
refused to append, so nothing was written here) whose home node is this node's parent or one of
its children is forwarded: the whole request, the caller's principal with it, to the same
service there, which serves it by the same ``http`` — and so may forward it one hop further.

Both directions go through the parent's broker, because a child (a village behind NAT) only dials
out: down, the parent queues the command for the child, which answers on the parent's
``eldernet.sync`` exchange; up, the child publishes the command there and the parent queues the
answer for it (queues and keys: shared/forwarding_wire.py).

A forwarded command expires on the broker when its sender stops waiting for the answer
(``ELDERNET.sync.forward_timeout``), so one that waited while its node was away is dropped, never
executed later. It is taken off the queue before it is served and a redelivered one is dropped:
it runs at most once. It carries its hop count (more than MAX_HOPS is refused) and the nodes it
passed (it never goes back). Trust: RabbitMQ checks each message's ``user_id`` against the user
that published it, so a command or an answer is taken only from the neighbour it must come from,
and a child may forward only commands whose principal's area lies inside its own: it cannot
claim more authority than its subtree has.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Callable

import eventlet
from eventlet.event import Event as Waiter
from kombu import Exchange, Queue
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.extensions import DependencyProvider
from nameko.utils.concurrency import SpawningSet

from shared import forwarding_wire as wire
from shared import metrics as kernel_metrics
from shared.config import eldernet_section
from shared.http_api import NOT_HOME_NODE, ApiError, BadRequest, Forbidden, GatewayTimeout
from shared.links import Neighbour, Topology
from shared.publisher import PublishError
from shared.topology import SYNC_EXCHANGE

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0  # seconds to wait for the home node's answer (ELDERNET.sync.forward_timeout)
MAX_HOPS = 4            # city → village is three links; more is a loop or a tree configured wrong
HOP_MARGIN = 0.5        # seconds a hop keeps back from its sender's wait, to send the answer back


class HomeNodeForwarder(DependencyProvider):
    """Serves a service's HTTP request here or at the record's home node (see the module's doc)."""

    own_broker = wire.OwnBrokerConsumer()
    parent_broker = wire.ParentBrokerConsumer()

    def setup(self) -> None:
        config = self.container.config
        self.service = self.container.service_name
        self.topology = Topology.from_config(config)
        self.node = self.topology.node
        self.timeout = float((eldernet_section(config).get("sync") or {}).get("forward_timeout", DEFAULT_TIMEOUT))
        self.metrics = kernel_metrics.metrics()
        self.reply_id = uuid.uuid4().hex
        self._waiting: dict[str, tuple[Neighbour, Waiter]] = {}
        self._listeners: list[wire.Listener] = []
        self.below = self._children_side(config["AMQP_URI"]) if self.topology.children else None
        self.above = self._parent_side(self.topology.parent) if self.topology.parent else None

    def _children_side(self, amqp_uri: str) -> wire.SharedPublisher:
        """As a parent: commands down to the children and answers to theirs, on this node's broker."""
        sync = Exchange(SYNC_EXCHANGE, type="topic", durable=True)
        self._listen(self.own_broker, Queue(wire.process_replies_queue(self.service, self.reply_id), sync,
                                            routing_key=wire.reply_routing_key(self.reply_id), exclusive=True,
                                            auto_delete=True), self._on_reply)
        self._listen(self.own_broker, Queue(wire.children_commands_queue(self.service), sync,
                                            routing_key=wire.command_routing_key(self.service), durable=True,
                                            queue_arguments=wire.QUEUE_ARGUMENTS), self._on_command_from_child)
        queues = [name for child in self.topology.children
                  for name in (wire.commands_queue(self.service, child.id), wire.replies_queue(self.service, child.id))]
        return wire.SharedPublisher(amqp_uri, "", queues[0], self.timeout,
                                    queues=[(name, wire.QUEUE_ARGUMENTS) for name in queues])

    def _parent_side(self, parent: Neighbour) -> wire.SharedPublisher:
        """As a child: commands up and answers to the parent's, over this node's own connection."""
        for name, handle in ((wire.commands_queue(self.service, self.node.id), self._on_command_from_parent),
                             (wire.replies_queue(self.service, self.node.id), self._on_reply)):
            self._listen(self.parent_broker, Queue(name, durable=True, queue_arguments=wire.QUEUE_ARGUMENTS), handle)
        return wire.SharedPublisher(parent.amqp_uri, SYNC_EXCHANGE, wire.replies_queue(self.service, self.node.id),
                                    self.timeout, passive=True)

    def _listen(self, consumer, queue: Queue, handle: Callable[[Any], None]) -> None:
        listener = wire.Listener(consumer, queue, handle)
        consumer.register_provider(listener)
        self._listeners.append(listener)

    def stop(self) -> None:
        SpawningSet(self._listeners).all.leave()  # at once: each waits for its consumer's next turn
        self._close()

    def kill(self) -> None:
        self._close()  # the consumers are killed on their own

    def _close(self) -> None:
        for side in (self.below, self.above):
            if side is not None:
                side.close()

    def get_dependency(self, worker_ctx) -> "HomeNodeForwarder":
        return self

    # -- serving a request -------------------------------------------------------------------
    def serve(self, request: dict, answer_here: Callable[[], dict]) -> dict:
        """``answer_here()``, or the home node's answer when that says the home node is elsewhere."""
        response = answer_here()
        home = _home_node_named(response)
        neighbour = self._neighbour(home) if home else None
        if neighbour is None:
            return response
        forwarded = request.get("forwarded") or {}
        hops, via = int(forwarded.get("hops", 0)) + 1, [*forwarded.get("via", ()), self.node.id]
        if hops > MAX_HOPS or home in via:
            return _not_forwarded(response, f"not forwarded again: it came through {', '.join(via)}")
        timeout = min(self.timeout, float(forwarded["timeout"]) - HOP_MARGIN) if forwarded else self.timeout
        request = {key: value for key, value in request.items() if key != "forwarded"}
        answer = self._forward(neighbour, request, hops, via, timeout) if timeout > 0 else None
        if answer is not None:
            return answer
        return ApiError(503, "home_node_unreachable",
                        f"the record is written at its home node {home}, which {self.node.id} cannot reach now "
                        f"(no answer within {max(timeout, 0):g} s); nothing was written at {self.node.id}. "
                        "Try again later", details={"home_node": home}).response()

    def _neighbour(self, node_id: str) -> Neighbour | None:
        parent = self.topology.parent
        if parent is not None and parent.id == node_id:
            return parent
        return next((child for child in self.topology.children if child.id == node_id), None)

    def _forward(self, home: Neighbour, request: dict, hops: int, via: list[str], timeout: float) -> dict | None:
        """The home node's answer, or None when none came within ``timeout``."""
        correlation = uuid.uuid4().hex
        answer = Waiter()
        self._waiting[correlation] = (home, answer)
        try:
            if home is self.topology.parent:
                self.above.publish(wire.command(wire.command_routing_key(self.service), request, correlation, hops,
                                                via, timeout, self.above.user))
            else:
                self.below.publish(wire.command(wire.commands_queue(self.service, home.id), request, correlation,
                                                hops, via, timeout, self.below.user,
                                                reply_to=wire.reply_routing_key(self.reply_id)))
            with eventlet.Timeout(timeout, False):
                return answer.wait()
            return None
        except PublishError as error:
            log.warning("%s: cannot forward a command to its home node %s: %s", self.service, home.id, error)
            return None
        finally:
            del self._waiting[correlation]

    # -- what the neighbours send ------------------------------------------------------------
    def _on_command_from_parent(self, message) -> None:
        parent = self.topology.parent
        reply_to = message.properties.get("reply_to") or ""
        if message.properties.get("user_id") != parent.broker_user:
            self._refuse(f"down:{parent.id}", f"a command from {message.properties.get('user_id')!r}, not the parent")
        elif not wire.is_reply_key(reply_to):
            self._refuse(f"down:{parent.id}", f"a command whose reply_to {reply_to!r} is not a reply key")
        else:
            self._answer(self.above, reply_to, message, self._serve_forwarded(message, parent))

    def _on_command_from_child(self, message) -> None:
        sender = message.properties.get("user_id")
        child = self.topology.child_by_user(sender)
        if child is None:
            self._refuse("unknown", f"a command from {sender!r}, not a child of this node")
        else:
            self._answer(self.below, wire.replies_queue(self.service, child.id), message,
                         self._serve_forwarded(message, child))

    def _serve_forwarded(self, message, sender: Neighbour) -> dict | None:
        """The answer to a command ``sender`` forwarded, served by this service's ``http``; None
        for a redelivered one (it may have been served already: it is not served twice)."""
        if message.delivery_info.get("redelivered"):
            log.warning("%s: a command from %s was delivered again; dropped unanswered", self.service, sender.id)
            return None
        try:
            command = wire.parse_command(message)
        except (ValueError, TypeError) as error:
            return BadRequest(f"not a forwarded command: {error}").response()
        refusal = self._refusal(sender, command)
        if refusal is not None:
            self._refuse(_link_to(sender, self.topology), refusal.message)
            return refusal.response()
        budget = min(command.seconds, self.timeout)
        forwarded = {"hops": command.hops, "via": command.via, "timeout": budget}
        return self._call_http(dict(command.request, forwarded=forwarded), budget)

    def _refusal(self, sender: Neighbour, command: wire.ForwardedCommand) -> ApiError | None:
        if command.hops > MAX_HOPS:
            return BadRequest(f"forwarded {command.hops} times; at most {MAX_HOPS} links are crossed")
        if str(command.request.get("method", "")).upper() == "GET":
            return Forbidden("only commands are forwarded, not reads")
        area = (command.request.get("principal") or {}).get("area_code")
        if sender is not self.topology.parent and not (isinstance(area, str) and sender.contains(area)):
            return Forbidden(f"child {sender.id} may forward only commands of principals inside its area "
                             f"{sender.area_code}, not of area {area}")
        return None

    def _call_http(self, request: dict, timeout: float) -> dict:
        """This service's ``http`` over RPC on this node's broker, as the gateway calls it (any of the
        service's processes may serve it, and forward it one hop further)."""
        try:
            with wire.OwnServiceProxy(self.service, self.container.config, timeout) as service:
                return service.http(request)
        except RpcTimeout:
            return GatewayTimeout(f"{self.service} at {self.node.id} did not answer within {timeout:g} s").response()
        except (RemoteError, UnknownService) as error:
            log.error("%s.http failed on a forwarded command: %s", self.service, error)
            return ApiError(500, "internal_error", f"the {self.service} service at {self.node.id} failed to handle "
                                                   "the forwarded request; its log has the details").response()

    def _answer(self, side: wire.SharedPublisher, routing_key: str, command, response: dict | None) -> None:
        if response is None:
            return
        try:
            side.publish(wire.answer(routing_key, response, command, side.user))
        except PublishError as error:
            log.warning("%s: cannot send back the answer to a forwarded command (its sender answers 503): %s",
                        self.service, error)

    def _on_reply(self, message) -> None:
        waiting = self._waiting.get(message.properties.get("correlation_id"))
        if waiting is None:
            log.info("%s: an answer came after its sender stopped waiting; dropped", self.service)
            return
        peer, answer = waiting
        sender = message.properties.get("user_id")
        if sender != peer.broker_user:
            self._refuse(_link_to(peer, self.topology), f"an answer from {sender!r}, not from {peer.id}")
            return
        try:
            response = wire.parse_answer(message.body)
        except ValueError as error:
            response = ApiError(502, "bad_gateway", f"{peer.id} gave a malformed answer: {error}").response()
        if not answer.ready():
            answer.send(response)

    def _refuse(self, link: str, reason: str) -> None:
        log.warning("%s at %s: refused %s", self.service, self.node.id, reason)
        self.metrics.sync_refused.labels(node=self.node.id, service=self.service, link=link).inc()


def _link_to(peer: Neighbour, topology: Topology) -> str:
    """The link's metric label, as the sync intakes name it."""
    return f"down:{peer.id}" if peer is topology.parent else f"up:{peer.id}"


def _home_node_named(response: dict) -> str | None:
    body = response.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    if response.get("status") == 409 and isinstance(error, dict) and error.get("code") == NOT_HOME_NODE:
        return error.get("home_node")
    return None


def _not_forwarded(response: dict, why: str) -> dict:
    error = response["body"]["error"]
    return dict(response, body={"error": dict(error, message=f"{error['message']} ({why})")})


__all__ = ["DEFAULT_TIMEOUT", "HomeNodeForwarder", "MAX_HOPS"]
