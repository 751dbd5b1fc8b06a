"""The ``node`` service every node runs: it records the node's own lifecycle in its store.

``NodeStarted`` (with the node's tier, area and parent) is appended each time the node starts,
so the node's history of restarts and re-configurations is in its event log and reaches
subscribers like any other event; ``status`` answers over RPC for operators and the demo.
"""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, post_load, validate
from nameko.rpc import rpc

from shared import __version__
from shared.dependencies import EventSourced
from shared.events import format_time, utcnow
from shared.lifecycle import on_start
from shared.schemas import EventRegistry
from shared.store import ANY_VERSION

NODE_STARTED = "eldernet.node.NodeStarted"


@dataclass(frozen=True)
class NodeStarted:
    node_id: str
    tier: str
    area_code: str
    parent: str | None
    software_version: str


class NodeStartedSchema(Schema):
    node_id = fields.String(required=True)
    tier = fields.String(required=True, validate=validate.OneOf(["city", "district", "town", "village"]))
    area_code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$"))
    parent = fields.String(load_default=None, allow_none=True)
    software_version = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return NodeStarted(**data)


def node_events() -> EventRegistry:
    registry = EventRegistry()
    registry.register(NODE_STARTED, NodeStarted, NodeStartedSchema())
    return registry


class NodeService:
    name = "node"
    uow = EventSourced(registry=node_events())

    @on_start
    def announce(self):
        node = self.uow.node
        started = NodeStarted(node.id, node.tier.value, node.area_code, node.parent, __version__)
        with self.uow() as uow:
            uow.record(f"node-{node.id}", ANY_VERSION, [started], area_code=node.area_code, at=utcnow())

    @rpc
    def status(self):
        store = self.uow.store
        node = self.uow.node
        return {
            "node": node.id, "tier": node.tier.value, "area_code": node.area_code, "parent": node.parent,
            "head_position": store.head_position(),
            "outbox_backlog": self.uow.outbox_backlog(),
            "time": format_time(utcnow()),
        }
