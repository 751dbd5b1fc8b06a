"""The elders booking knows of: those whose registry events (``eldernet.registry.Elder*``) reached this
node, so that a booking is made only for an elder the registry holds.

An elder is written at the node of their village (the registry's single writer) and synced up the
tiers, never across: a node knows the elders of its own subtree. A booking is written at its
facility's home node, which checks the elder against what *it* knows (docs/booking.md, "Elders"):
a request asked of another node is checked where it is forwarded to, not where it arrived.

``booking_elders`` is state about another service's events (like ``booking_facility_facts``),
written with the consumer's inbox in one transaction and left alone by a replay of booking's store.
"""
from __future__ import annotations

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, fields

from shared.aggregate import Rejected
from shared.events import Event
from shared.schemas import load

ELDER_EVENTS = tuple("eldernet.registry." + name for name in ("ElderRegistered", "ElderMoved"))

elders_table = sa.Table(
    "booking_elders", sa.MetaData(),
    sa.Column("elder_id", sa.String(64), primary_key=True),
    sa.Column("home_area_code", sa.String(12), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # of the elder's stream: the newest word wins
)


class ElderPayload(Schema):
    """What booking reads of a registry elder event; the rest of the payload is the registry's."""

    class Meta:
        unknown = EXCLUDE

    elder_id = fields.String(required=True)
    home_area_code = fields.String(required=True)


def follow(conn, event: Event) -> None:
    """Remember the elder (where they live, for the record). Every node remembers every elder it
    hears of: knowing is not writing, so the single-writer rule does not apply."""
    data = load(ElderPayload(), event.data, prefix="data.")
    row = conn.execute(sa.select(elders_table.c.version)
                       .where(elders_table.c.elder_id == data["elder_id"])).first()
    values = {"home_area_code": data["home_area_code"], "version": event.stream_version}
    if row is None:
        conn.execute(elders_table.insert().values(elder_id=data["elder_id"], **values))
    elif row.version < event.stream_version:  # events of one elder may arrive out of order
        conn.execute(elders_table.update().where(elders_table.c.elder_id == data["elder_id"]).values(**values))


def is_known(conn, elder_id: str) -> bool:
    query = sa.select(elders_table.c.elder_id).where(elders_table.c.elder_id == elder_id)
    return conn.execute(query).first() is not None


def require_known(work, elder_id: str) -> None:
    """Rejected, naming ``elder_id``, unless the registry's word on the elder has reached this node."""
    if not is_known(work.conn, elder_id):
        node = work.context.node.id
        raise Rejected(f"no elder {elder_id} is known at node {node}: register the elder in the registry first. "
                       f"An elder registered at another node is known here once the registration has arrived "
                       f"(from a node below this one; elders are not sent across to other subtrees)",
                       field="elder_id")
