"""A node's RabbitMQ definitions (``eldernet node definitions``), for ``rabbitmqctl import_definitions``
or the broker's ``load_definitions`` at boot.

Generated from what the code itself declares, never written by hand: the consumer queues (quorum,
delivery limit, dead-letter exchange: queue arguments, which a policy cannot set or change) with
their bindings and dead-letter queues, as the node runner declares them
(``consumer_queues_of``); the children's link queues and the forwarding queues, as the sync relays
and the forwarder declare them; the link-queue policy and each child's rights, as
``eldernet node setup`` sets them (recorded from ``BrokerAdmin`` itself). So a node started on a
broker loaded with these finds every queue as it would declare it (a different argument would be
a PRECONDITION_FAILED at start).

Users and least privilege: the node's own user (from ``AMQP_URI``, password stored as RabbitMQ's
salted SHA-256) owns the node's vhost and nothing else, with no management tag; each child's user
may use its own link, commands and replies queues on this vhost and publish to ``eldernet.sync``,
nothing more. A child's password is the child's secret: its user is written with no password
(it cannot log in) until the district team sets one with ``rabbitmqctl change_password``. Importing
again resets those, so pass ``--without-child-users`` when re-importing.
"""
from __future__ import annotations

import base64
import hashlib
import os
import urllib.parse
from typing import Mapping

from kombu.utils.url import parse_url

from shared.broker_admin import BrokerAdmin, user_of, vhost_of
from shared.config import eldernet_section
from shared.entrypoints import consumer_queues_of
from shared.forwarding import HomeNodeForwarder
from shared.forwarding_wire import QUEUE_ARGUMENTS as FORWARDING_QUEUE_ARGUMENTS
from shared.links import Topology
from shared.local_network import LINK_QUEUE_TTL_MS
from shared.runner import load_service, node_services
from shared.sync_intake import takes_synced_events
from shared.sync_relays import DEFAULT_LINK_QUEUE_LIMIT
from shared.topology import (DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE, LINK_QUEUE_ARGUMENTS, SYNC_EXCHANGE,
                             child_link_queue, children_commands_queue, command_routing_key, commands_queue,
                             dead_letter_queue_name, replies_queue)

HASHING = "rabbit_password_hashing_sha256"
_EXCHANGE_TYPES = {EVENTS_EXCHANGE: "topic", SYNC_EXCHANGE: "topic", DEAD_LETTER_EXCHANGE: "direct"}


class _Recorder(BrokerAdmin):
    """BrokerAdmin that writes down the requests it would send, so the rights and policies in the
    definitions are the very ones ``eldernet node setup`` grants."""

    def __init__(self):
        super().__init__()
        self.requests: list[tuple[str, str, dict | None]] = []

    def request(self, method: str, path: str, body: dict | None = None):
        self.requests.append((method, path, body))


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's rabbit_password_hashing_sha256: base64(salt + sha256(salt + password))."""
    salt = os.urandom(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode("ascii")


class _Definitions:
    def __init__(self, vhost: str):
        self.vhost = vhost
        self.queues: dict[str, dict] = {}
        self.exchanges: dict[str, dict] = {}
        self.bindings: list[dict] = []

    def queue(self, name: str, arguments: Mapping | None) -> None:
        self.queues[name] = {"name": name, "vhost": self.vhost, "durable": True, "auto_delete": False,
                             "arguments": dict(arguments or {})}

    def exchange(self, name: str, kind: str | None = None) -> None:
        kind = kind or _EXCHANGE_TYPES[name]
        self.exchanges[name] = {"name": name, "vhost": self.vhost, "type": kind, "durable": True,
                                "auto_delete": False, "internal": False, "arguments": {}}

    def bind(self, exchange: str, queue: str, routing_key: str, kind: str | None = None) -> None:
        self.exchange(exchange, kind)
        binding = {"source": exchange, "vhost": self.vhost, "destination": queue, "destination_type": "queue",
                   "routing_key": routing_key, "arguments": {}}
        if binding not in self.bindings:
            self.bindings.append(binding)

    def dead_letter_queue(self, queue: str) -> None:
        self.queue(dead_letter_queue_name(queue), {})
        self.bind(DEAD_LETTER_EXCHANGE, dead_letter_queue_name(queue), queue)


def node_definitions(config: Mapping, child_users: bool = True) -> dict:
    """The definitions of the node ``config`` describes, as a JSON-able dict."""
    uri = config["AMQP_URI"]
    vhost, user = vhost_of(uri), user_of(uri)
    topology = Topology.from_config(config)
    found = _Definitions(vhost)
    found.exchange(EVENTS_EXCHANGE)  # the outbox publishes to it from the first event on
    found.exchange(DEAD_LETTER_EXCHANGE)
    for entry in node_services(config):
        _service(found, load_service(entry), topology)
    admin = _Recorder()
    for child in topology.children:
        admin.grant_child_link(vhost, child.broker_user, child.id)
    if topology.children:
        limit = int((eldernet_section(config).get("sync") or {}).get("link_queue_limit", DEFAULT_LINK_QUEUE_LIMIT))
        admin.ensure_link_policy(vhost, limit, LINK_QUEUE_TTL_MS)
    users = [{"name": user, "password_hash": password_hash(parse_url(uri).get("password") or ""),
              "hashing_algorithm": HASHING, "tags": []}]
    if child_users:
        users += [{"name": c.broker_user, "password_hash": "", "hashing_algorithm": HASHING, "tags": []}
                  for c in topology.children]
    return {
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": [{"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}]
        + [{"user": urllib.parse.unquote(path.rsplit("/", 1)[1]), "vhost": vhost, **body}
           for method, path, body in admin.requests if path.startswith("/api/permissions/")],
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": [{"vhost": vhost, "name": urllib.parse.unquote(path.rsplit("/", 1)[1]), **body}
                     for method, path, body in admin.requests if path.startswith("/api/policies/")],
        "queues": sorted(found.queues.values(), key=lambda q: q["name"]),
        "exchanges": sorted(found.exchanges.values(), key=lambda e: e["name"]),
        "bindings": sorted(found.bindings, key=lambda b: (b["source"], b["destination"], b["routing_key"])),
    }


def _service(found: _Definitions, service_class: type, topology: Topology) -> None:
    service = service_class.name
    for queue in consumer_queues_of(service_class):
        found.queue(queue.name, queue.queue_arguments)
        for binding in queue.bindings:
            found.bind(binding.exchange.name, queue.name, binding.routing_key, binding.exchange.type)
        found.dead_letter_queue(queue.name)
    if takes_synced_events(service_class):
        for child in topology.children:  # what this node sends down to each child
            found.queue(child_link_queue(service, child.id), LINK_QUEUE_ARGUMENTS)
        if topology.parent is not None:  # what the parent sent that this node could not take, parked here
            found.dead_letter_queue(child_link_queue(service, topology.node.id))
    forwards = any(isinstance(value, HomeNodeForwarder) for value in vars(service_class).values())
    if forwards and topology.children:
        found.queue(children_commands_queue(service), FORWARDING_QUEUE_ARGUMENTS)
        found.bind(SYNC_EXCHANGE, children_commands_queue(service), command_routing_key(service))
        for child in topology.children:
            found.queue(commands_queue(service, child.id), FORWARDING_QUEUE_ARGUMENTS)
            found.queue(replies_queue(service, child.id), FORWARDING_QUEUE_ARGUMENTS)


def merged(definitions: list[dict]) -> dict:
    """Several nodes' definitions as one file, for one broker that holds all their vhosts (a network
    on one host). A user defined twice keeps the definition that has a password: a child's own
    node config knows its password, its parent's lists the user without one."""
    users: dict[str, dict] = {}
    for user in (u for d in definitions for u in d["users"]):
        if user["name"] not in users or not users[user["name"]]["password_hash"]:
            users[user["name"]] = user
    result = {"users": sorted(users.values(), key=lambda u: u["name"])}
    for key in ("vhosts", "permissions", "topic_permissions", "parameters", "global_parameters", "policies",
                "queues", "exchanges", "bindings"):
        result[key] = [item for d in definitions for item in d[key]]
    return result

