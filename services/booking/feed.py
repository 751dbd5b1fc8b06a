"""The registry's facility events, turned into the capacity of the facility's pools.

Only the facility's home node acts on them: the registry writes a facility at that node, and so does
booking, so both agree on who decides its capacity (single writer). Elsewhere (a parent that holds
the facility by sync) the event is passed over: the pools' own events come up from the home node.

What the registry said is kept in ``booking_facility_facts``, written in the same transaction as the
pools' events and the consumer's inbox; it is state about another service's events, not a read
model of booking's own, so a replay of booking's store leaves it alone.
"""
from __future__ import annotations

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, fields

from shared.events import Event, utcnow
from shared.schemas import load
from services.booking import flow
from services.booking.domain.capacity import capacity, capacity_id
from services.booking.domain.facility_feed import FED_POOLS, FacilityFacts, commands_for, learn
from services.booking.projections import pools

REGISTRY = "eldernet.registry."
FACILITY_EVENTS = tuple(REGISTRY + name for name in (
    "FacilityRegistered", "FacilityCapacityChanged", "FacilitySuspended", "FacilityReopened", "FacilityClosed"))

facts_table = sa.Table(
    "booking_facility_facts", sa.MetaData(),
    sa.Column("facility_id", sa.String(64), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("units", sa.JSON),
    sa.Column("units_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(500)),
    sa.Column("status_version", sa.Integer, nullable=False),
)


class _Capacity(Schema):
    class Meta:
        unknown = EXCLUDE

    general_beds = fields.Integer(load_default=0)
    nursing_beds = fields.Integer(load_default=0)
    day_places = fields.Integer(load_default=0)
    canteen_seats = fields.Integer(load_default=0)


class FacilityPayload(Schema):
    """What booking reads of a registry facility event; the rest of the payload is the registry's."""

    class Meta:
        unknown = EXCLUDE

    facility_id = fields.String(required=True)
    capacity = fields.Nested(_Capacity)
    reason = fields.String()


def is_home(work, area_code: str) -> bool:
    """Whether this node writes the pools of a facility in ``area_code`` (as the registry writes it)."""
    return work.is_home(capacity.stream_id(""), area_code)


def follow(work, event: Event) -> None:
    """Bring the facility's pools to what ``event`` says, with what that frees or withdraws."""
    if not is_home(work, event.area_code):
        return
    data = load(FacilityPayload(), event.data, prefix="data.")
    known = _known(work.conn, data["facility_id"]) or FacilityFacts(data["facility_id"], event.area_code)
    facts = learn(known, event.type[len(REGISTRY):], event.stream_version, data)
    _save(work.conn, facts)
    for pool in sorted(set(FED_POOLS) | _pools_of(work.conn, facts.facility_id)):
        _agree(work, facts, pool)


def agree(work, facility_id: str, pool: str) -> None:
    """Bring a pool its staff set to the facility's status (a new pool of a suspended facility)."""
    facts = _known(work.conn, facility_id)
    if facts is not None:
        _agree(work, facts, pool)


def _agree(work, facts: FacilityFacts, pool: str) -> None:
    at, key = utcnow(), capacity_id(facts.facility_id, pool)
    for command in commands_for(facts, pool, work.load(capacity, key)[0], at):
        flow.settle(work, flow.execute(work, capacity, key, command, facts.area_code), at)


def _known(conn, facility_id: str) -> FacilityFacts | None:
    row = conn.execute(sa.select(facts_table).where(facts_table.c.facility_id == facility_id)).mappings().first()
    return None if row is None else FacilityFacts(**row)


def _save(conn, facts: FacilityFacts) -> None:
    values = {**vars(facts), "units": dict(facts.units) if facts.units is not None else None}
    where = facts_table.c.facility_id == facts.facility_id
    if conn.execute(sa.select(facts_table.c.facility_id).where(where)).first() is None:
        conn.execute(facts_table.insert().values(**values))
    else:
        conn.execute(facts_table.update().where(where).values(**values))


def _pools_of(conn, facility_id: str) -> set[str]:
    return set(conn.execute(sa.select(pools.c.pool).where(pools.c.facility_id == facility_id)).scalars())
