"""Re-homing: the explicit, recorded hand-off of an area's records from a parent to a child node.

An aggregate's home is the deepest node whose area holds it (single writer). Before a village
runs a node, its town is the home of the village's records; when the village's node joins (the
town's config lists it as a child), the home moves down. Doing that silently would risk two
writers — the village writing version 4 of a record while the town's version 4 is still on its
way down — and records that "stop syncing after a move" (a known pain of offline-first systems).
So the move is an event:

* the parent, on start, records ``eldernet.<service>.HomeHandedOver`` (area, from, to) for each
  child whose area holds records written above it — and later, in the same unit of work, when
  such a record first comes down from above — and it refuses to write there
  (``Topology.home_of`` names the child);
* the hand-off travels down the link after every record it hands over (a link keeps store
  order), and up to the ancestors, who learn where the area's records are written now;
* the child writes to a record that came from above only once it holds the hand-off, i.e. once
  it has every version written before it; until then it refuses, naming the parent.
A child re-pointed to another parent sends that parent its whole history (its uplink cursor is
per parent) and goes on from there.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from marshmallow import Schema, fields, post_load
from sqlalchemy.engine import Connection

from shared.events import Event
from shared import record_handoff
from shared.links import Topology
from shared.schemas import EventRegistry
from shared.store import EventStore, events_table

STREAM_PREFIX = "handoff-"
KERNEL_STREAMS = (STREAM_PREFIX, record_handoff.STREAM_PREFIX)


@dataclass(frozen=True)
class HomeHandedOver:
    area_code: str
    from_node: str
    to_node: str


class HomeHandedOverSchema(Schema):
    area_code = fields.String(required=True)
    from_node = fields.String(required=True)
    to_node = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return HomeHandedOver(**data)


def handoff_type(service: str) -> str:
    """One type per service: sync routes by type, and each service's links carry only its own."""
    return f"eldernet.{service}.HomeHandedOver"


def register(registry: EventRegistry, service: str) -> None:
    if handoff_type(service) not in registry.types:
        registry.register(handoff_type(service), HomeHandedOver, HomeHandedOverSchema())


def stream_of(area_code: str) -> str:
    return STREAM_PREFIX + area_code


def hand_over(store: EventStore, topology: Topology, record) -> list[HomeHandedOver]:
    """Record a hand-off for each child whose area holds records written above it and has none
    yet; ``record(stream_id, expected_version, domain_events, area_code)`` appends."""
    done = []
    for child in topology.children:
        with store.engine.connect() as conn:
            version = store.stream_version(stream_of(child.area_code), conn)
            if version or not _written_above(conn, child.area_code):
                continue
        handed = HomeHandedOver(child.area_code, topology.node.id, child.id)
        record(stream_of(child.area_code), version, [handed], child.area_code)
        done.append(handed)
    return done


def owed(conn: Connection, store: EventStore, topology: Topology, event: Event) -> HomeHandedOver | None:
    """The hand-off a just-stored record from above makes due: it lies in a child's area, was not
    written in that child's subtree, and the child has had no hand-off yet."""
    child = topology.child_for(event.area_code)
    # A hand-off is not a record: neither an area's nor a moved record's (shared/record_handoff.py).
    if child is None or child.contains(event.origin_area) or event.stream_id.startswith(KERNEL_STREAMS):
        return None
    if store.stream_version(stream_of(child.area_code), conn):
        return None
    return HomeHandedOver(child.area_code, topology.node.id, child.id)


def first_area(conn: Connection, stream_id: str) -> str | None:
    row = conn.execute(sa.select(events_table.c.area_code).where(
        events_table.c.stream_id == stream_id, events_table.c.stream_version == 1)).first()
    return row[0] if row else None


def needs_handoff(conn: Connection, store: EventStore, topology: Topology, stream_id: str) -> bool:
    """Whether this child may not write to ``stream_id`` yet: the record came from above and the
    parent's hand-off of this node's area has not arrived."""
    if topology.parent is None:
        return False
    first = conn.execute(sa.select(events_table.c.origin_area).where(
        events_table.c.stream_id == stream_id, events_table.c.stream_version == 1)).first()
    if first is None or topology.node.contains(first.origin_area or topology.node.area_code):
        return False  # a new record, or one written in this node's subtree
    return store.stream_version(stream_of(topology.node.area_code), conn) == 0


def _written_above(conn: Connection, area_code: str) -> bool:
    c = events_table.c
    return conn.execute(sa.select(sa.literal(1)).where(
        c.area_code.like(area_code + "%"), *(c.stream_id.notlike(prefix + "%") for prefix in KERNEL_STREAMS),
        sa.or_(c.origin_area.is_(None), sa.not_(c.origin_area.like(area_code + "%")))).limit(1)).first() is not None


__all__ = ["HomeHandedOver", "first_area", "hand_over", "handoff_type", "needs_handoff", "owed", "register",
           "stream_of"]
