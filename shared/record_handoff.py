"""Per-record hand-off: one record moving to an area whose home is another node.

An elder who moves from a village run by one node to a community run by another changes home
node (single writer: a record is written at the node of its area). Its history lies at the old
node and on the old node's path up to the city; the new node and the nodes on its path down from
where the two paths meet have never seen it, so a later write there would have nothing to build
on (and, without this, a move answered 404 at the new home). The move is therefore recorded:

* the old home decides the move (the record's state is there), records the service's own event
  about the old area, and then ``eldernet.<service>.RecordHandedOver`` {record, version,
  from_area, to_area} in the stream ``moved-<record>@<version>``, about the old area: it goes up
  the old path, so every node there learns the record is written elsewhere now;
* the node where the paths part — the first on the way up that holds the new area in a child
  other than the one the record came from (it may be the old home itself) — records a second
  copy in ``moved-<record>@<version>:down``, about the new area and carrying the record's history
  (its events as CloudEvents JSON, versions 1..version): that copy goes down the new path;
* every node that stores a copy notes the record's area (``record_areas``), and one that stores
  the down copy first stores the history it carries, as received events, ids and versions kept.
  The new home then writes the record's next version, which goes up the new path as usual.

Trust: a carried history is taken only from the down copy, which only the node where the paths
part writes and only a parent sends down; an up copy carries none (its history came up the same
link before it, in store order).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa
from marshmallow import fields
from sqlalchemy.engine import Connection

from shared.db import kernel_metadata
from shared.events import Event
from shared.links import Topology
from shared.schemas import EventRegistry, Makes

STREAM_PREFIX = "moved-"
DOWN_SUFFIX = ":down"
_DOWN_IDS = uuid.UUID("3f1c0a52-5d0e-4f7e-9a57-2b8f4f0d6a11")  # namespace of the down copies' ids

record_areas_table = sa.Table(
    "record_areas", kernel_metadata,
    sa.Column("stream_id", sa.String(255), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # the record's version when it moved there
)


@dataclass(frozen=True)
class RecordHandedOver:
    record: str            # the stream id of the record that moved
    version: int           # its version at the move (the last event written at the old home)
    from_area: str
    to_area: str
    history: tuple = field(default=(), compare=False)  # CloudEvents JSON of versions 1..version, down copy only


class RecordHandedOverSchema(Makes):
    make = RecordHandedOver
    record = fields.String(required=True)
    version = fields.Integer(required=True, strict=True)
    from_area = fields.String(required=True)
    to_area = fields.String(required=True)
    history = fields.List(fields.Dict(), load_default=())


def handed_over_type(service: str) -> str:
    return f"eldernet.{service}.RecordHandedOver"


def register(registry: EventRegistry, service: str) -> None:
    if handed_over_type(service) not in registry.types:
        registry.register(handed_over_type(service), RecordHandedOver, RecordHandedOverSchema())


def stream_of(record: str, version: int, *, down: bool = False) -> str:
    return f"{STREAM_PREFIX}{record}@{version}" + (DOWN_SUFFIX if down else "")


def is_handoff_stream(stream_id: str) -> bool:
    return stream_id.startswith(STREAM_PREFIX)


def changes_home(topology: Topology, from_area: str, to_area: str) -> bool:
    return topology.home_of(from_area) != topology.home_of(to_area)


def parts_here(topology: Topology, moved: RecordHandedOver) -> bool:
    """Whether the old and new paths part at this node: the new area lies in a child of this
    node that does not hold the old one, so the record's history must be sent down there."""
    child = topology.child_for(moved.to_area)
    return child is not None and not child.contains(moved.from_area)


def record_move(uow, topology: Topology, service: str, record: str, from_area: str, to_area: str) -> None:
    """At the old home, in the unit of work that recorded the move: the up copy (and the down
    copy too when the paths part here)."""
    if not changes_home(topology, from_area, to_area):
        return
    version = uow.context.store.stream_version(record, uow.conn)
    moved = RecordHandedOver(record, version, from_area, to_area)
    [event] = uow.record(stream_of(record, version), 0, [moved], area_code=from_area, check_home=False)
    after_stored(uow, topology, service, event)


def after_stored(uow, topology: Topology, service: str, event: Event) -> None:
    """A hand-off was stored here (recorded or received): note the record's area, and where the
    paths part, record the down copy with the record's history."""
    if event.type != handed_over_type(service):
        return
    note(uow.conn, event)
    moved = RecordHandedOver(event.data["record"], int(event.data["version"]), event.data["from_area"],
                             event.data["to_area"])
    if event.stream_id.endswith(DOWN_SUFFIX) or not parts_here(topology, moved):
        return
    down = stream_of(moved.record, moved.version, down=True)
    store = uow.context.store
    if store.stream_version(down, uow.conn):
        return  # recorded already (the up copy came again by another path)
    history = store.read_stream(moved.record, conn=uow.conn)[:moved.version]
    copy = event.replace(id=str(uuid.uuid5(_DOWN_IDS, event.id)), source=uow.context.source, subject=down,
                         stream_id=down, area_code=moved.to_area, origin_node=topology.node.id,
                         origin_area=topology.node.area_code, position=None,
                         data={**event.data, "history": [e.replace(position=None).to_cloudevent() for e in history]})
    uow.append(down, 0, [copy])
    note(uow.conn, copy)


def carried(event: Event, service: str) -> list[Event]:
    """The history a down copy carries (nothing for any other event)."""
    if event.type != handed_over_type(service) or not event.stream_id.endswith(DOWN_SUFFIX):
        return []
    history = [Event.from_cloudevent(ce) for ce in event.data.get("history") or ()]
    strays = [e.id for e in history if e.stream_id != event.data.get("record")]
    if strays:
        raise ValueError(f"hand-off {event.id} carries events of other records: {', '.join(strays)}")
    return history


def note(conn: Connection, event: Event) -> None:
    """Remember where a record lives now (``event`` is one of its hand-offs)."""
    record, version, area = event.data["record"], int(event.data["version"]), event.data["to_area"]
    c = record_areas_table.c
    known = conn.execute(sa.select(c.version).where(c.stream_id == record)).scalar()
    if known is None:
        conn.execute(record_areas_table.insert().values(stream_id=record, area_code=area, version=version))
    elif known < version:
        conn.execute(record_areas_table.update().where(c.stream_id == record).values(area_code=area, version=version))


def area_of(conn: Connection, stream_id: str) -> str | None:
    """The area a record moved to last, as far as this node has heard; None if it never moved."""
    return conn.execute(sa.select(record_areas_table.c.area_code)
                        .where(record_areas_table.c.stream_id == stream_id)).scalar()


__all__ = ["RecordHandedOver", "after_stored", "area_of", "carried", "changes_home", "handed_over_type",
           "is_handoff_stream", "note", "parts_here", "record_areas_table", "record_move", "register", "stream_of"]
