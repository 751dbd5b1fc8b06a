"""Re-coding: the recorded hand-off of an area's records when the area's code changes.

A village moved to another town gets a new GB/T 2260 code (and so do areas that are merged).
Its records keep their ids and their history keeps the old code — history is never rewritten —
so the network must learn that the old code is now written at the node of the new one, or the
records would silently stop syncing (a known pain of offline-first systems). The move is done
in config and recorded as an event:

* the node of the area now lists the old code in ``node.former_area_codes``, and every node from
  its new parent up to where the old and new codes meet lists it under that child's
  ``former_area_codes``: this is what lets the records' old-coded history travel up the new path
  (link selection and trust are prefix tests over a node's codes, current and former);
* on start, the area's node records ``eldernet.<service>.AreaRecoded`` (from, to, node) in the
  stream ``recode-<old code>``, about the old code: it goes up the new path and, from where the
  paths meet, down the old one, so the old parent learns that it no longer writes there;
* every node that stores it homes the old code by the new one (``Topology.current_code``):
  a write to a record under the old code is refused, naming the way to its home, and forwarded.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from marshmallow import Schema, fields

from shared.events import Event
from shared.links import Topology
from shared.schemas import EventRegistry, Makes
from shared.store import EventStore, events_table

log = logging.getLogger(__name__)

STREAM_PREFIX = "recode-"


@dataclass(frozen=True)
class AreaRecoded:
    from_area: str
    to_area: str
    node: str  # the node that writes the area's records from now on


class AreaRecodedSchema(Makes):
    make = AreaRecoded
    from_area = fields.String(required=True)
    to_area = fields.String(required=True)
    node = fields.String(required=True)


def recoded_type(service: str) -> str:
    return f"eldernet.{service}.AreaRecoded"


def register(registry: EventRegistry, service: str) -> None:
    if recoded_type(service) not in registry.types:
        registry.register(recoded_type(service), AreaRecoded, AreaRecodedSchema())


def stream_of(old_code: str) -> str:
    return STREAM_PREFIX + old_code


def record_recodings(store: EventStore, topology: Topology, record) -> list[AreaRecoded]:
    """Record the hand-off of each of this node's former codes that has none yet;
    ``record(stream_id, expected_version, domain_events, area_code)`` appends."""
    done = []
    node = topology.node
    for old_code in node.former_area_codes:
        with store.engine.connect() as conn:
            if store.stream_version(stream_of(old_code), conn):
                continue
        recoded = AreaRecoded(old_code, node.area_code, node.id)
        record(stream_of(old_code), 0, [recoded], old_code)
        done.append(recoded)
    return done


def learn_all(store: EventStore, topology: Topology, service: str) -> None:
    """Fill ``topology.recoded`` from the hand-offs in the store (at start)."""
    c = events_table.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.data).where(c.stream_id.like(STREAM_PREFIX + "%"),
                                                    c.type == recoded_type(service)).order_by(c.position)).all()
    for row in rows:
        _learn(topology, row.data)


def learn(topology: Topology, service: str, event: Event) -> None:
    """A hand-off just stored (recorded here or received): home the old code by the new one."""
    if event.type == recoded_type(service):
        _learn(topology, event.data)


def _learn(topology: Topology, data) -> None:
    old, new = data.get("from_area"), data.get("to_area")
    if old and new and topology.recoded.get(old) != new:
        topology.recoded[old] = new
        log.info("area %s is now %s, written at node %s", old, new, data.get("node"))


__all__ = ["AreaRecoded", "learn", "learn_all", "record_recodings", "recoded_type", "register", "stream_of"]
