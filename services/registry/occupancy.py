"""A facility's residents follow the booking service's admissions (入住): an elder who checks in for
an admission or full-time care becomes a resident (``ResidentAdmitted``), and leaves when the stay
ends (``ResidentDischarged``, on ``BookingDelivered``: the nights were delivered, the elder left).
The facility's ``residents`` (read model ``registry_facilities``) and the statistics' occupancy
follow those events.

The registry consumes ``eldernet.booking.BookingCheckedIn`` / ``BookingDelivered`` and works from
their payloads only (services import nothing of each other). Single writer: only the facility's
home node records its residents; elsewhere (a parent holding the facility by sync) the event is
passed over, and the resident events come up from the home node.

Booking events of one booking may arrive out of order (the consumer handles several at once and
retries failures), and one elder may hold two stays at one facility back to back, the next checked
in before the last is delivered. So each stay is kept in ``registry_stays`` (state about another
service's events, written with the facility's events and the inbox in one transaction, left alone by
a replay): an elder is admitted by the first open stay and discharged when the last one ends, and a
delivery that overtakes its check-in leaves nobody resident.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, fields

from shared.aggregate import Rejected
from shared.events import Event
from shared.retry import retrying
from shared.schemas import load
from shared.unit_of_work import NotHomeNode
from services.registry.domain import facilities as f

log = logging.getLogger(__name__)

BOOKING = "eldernet.booking."
CHECKED_IN, DELIVERED = BOOKING + "BookingCheckedIn", BOOKING + "BookingDelivered"
BOOKING_EVENTS = (CHECKED_IN, DELIVERED)
# The booking services that make an elder a resident of the facility: an institutional bed and
# full-time care. Respite care and a trial stay are visits: the elder lives at home.
RESIDENT_SERVICES = ("admission", "full_time_care")

stays = sa.Table(
    "registry_stays", sa.MetaData(),
    sa.Column("booking_id", sa.String(36), primary_key=True),
    sa.Column("facility_id", sa.String(64), nullable=False),
    sa.Column("elder_id", sa.String(64), nullable=False),
    sa.Column("checked_in", sa.Boolean, nullable=False),
    sa.Column("admitted", sa.Boolean, nullable=False),  # counted among the facility's residents by this stay
    sa.Column("ended", sa.Boolean, nullable=False),
    sa.Index("ix_registry_stays_facility_elder", "facility_id", "elder_id"),
)


# -- the decision (pure) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Stay:
    booking_id: str
    facility_id: str
    elder_id: str
    checked_in: bool = False
    admitted: bool = False
    ended: bool = False


def step(stay: Stay, event_type: str, resident_by_another: bool) -> tuple[Stay, str | None]:
    """The stay after its booking's check-in or delivery, and what that does to the facility's
    residents: ``"admit"``, ``"discharge"`` or None. ``resident_by_another``: another open stay of
    the elder at the facility already counts them."""
    if event_type == CHECKED_IN:
        if stay.checked_in or stay.ended:  # again, or the stay already over: nothing changes
            return replace(stay, checked_in=True), None
        if resident_by_another:
            return replace(stay, checked_in=True, admitted=True), None
        return replace(stay, checked_in=True), "admit"
    if stay.ended:
        return stay, None
    ended = replace(stay, ended=True)
    return ended, "discharge" if stay.admitted and not resident_by_another else None


# -- the consumer -------------------------------------------------------------------------------
class StayPayload(Schema):
    """What the registry reads of a booking's check-in or delivery; the rest is booking's."""

    class Meta:
        unknown = EXCLUDE

    booking_id = fields.String(required=True)
    elder_id = fields.String(allow_none=True, load_default=None)
    facility_id = fields.String(allow_none=True, load_default=None)
    service = fields.String(allow_none=True, load_default=None)


def follow_booking(uow, event: Event) -> None:
    """A booking event (the consumer's one unit of work, decided again on a lost race)."""
    data = load(StayPayload(), event.data, prefix="data.")
    if data["service"] not in RESIDENT_SERVICES or data["facility_id"] is None or data["elder_id"] is None:
        return  # not a resident's stay (or a check-in recorded before the event said whose)

    def attempt():
        with uow() as work:
            if work.is_home(f.facility.stream_id(data["facility_id"]), event.area_code):
                _follow(work, event, Stay(data["booking_id"], data["facility_id"], data["elder_id"]))
    retrying(attempt, "occupancy")


def _follow(work, event: Event, new: Stay) -> None:
    before = _stay(work.conn, new.booking_id) or new
    after, change = step(before, event.type, _resident_by_another(work.conn, before))
    if change == "admit":  # recorded at the booking event's own time: a redelivery records the same
        after = replace(after, admitted=_admit(work, after, event.time))
    elif change == "discharge":
        _discharge(work, after, event.time)
    _save(work.conn, before is new, after)


def _admit(work, stay: Stay, at: datetime) -> bool:
    """Whether the facility took the elder in; one that is suspended or closed takes no admissions
    (the registry's rule): the stay is kept, uncounted, and so is not discharged either."""
    try:
        _record(work, stay.facility_id, f.RecordAdmission(stay.facility_id, stay.elder_id, at))
    except NotHomeNode:
        raise  # the facility is moving home: not this node's to record (retried, then dead-lettered)
    except Rejected as refusal:
        log.warning("booking %s: elder %s checked in at facility %s, not counted as a resident: %s",
                    stay.booking_id, stay.elder_id, stay.facility_id, refusal)
        return False
    return True


def _discharge(work, stay: Stay, at: datetime) -> None:
    try:
        _record(work, stay.facility_id, f.RecordDischarge(stay.facility_id, stay.elder_id, at))
    except NotHomeNode:
        raise
    except Rejected as refusal:  # discharged by hand already (the registry's own ``discharge``)
        log.info("booking %s ended: %s", stay.booking_id, refusal)


def _record(work, facility_id: str, command) -> None:
    state, version = work.load(f.facility, facility_id)
    events = f.facility.decide(state, command)
    work.record(f.facility.stream_id(facility_id), version, events, area_code=state.area_code, at=command.at)


# -- registry_stays -----------------------------------------------------------------------------
def _stay(conn, booking_id: str) -> Stay | None:
    row = conn.execute(sa.select(stays).where(stays.c.booking_id == booking_id)).mappings().first()
    return None if row is None else Stay(**row)


def _resident_by_another(conn, stay: Stay) -> bool:
    query = sa.select(stays.c.booking_id).where(
        stays.c.facility_id == stay.facility_id, stays.c.elder_id == stay.elder_id,
        stays.c.booking_id != stay.booking_id, stays.c.admitted.is_(True), stays.c.ended.is_(False))
    return conn.execute(query).first() is not None


def _save(conn, new: bool, stay: Stay) -> None:
    values = vars(stay)
    if new:
        conn.execute(stays.insert().values(**values))
    else:
        conn.execute(stays.update().where(stays.c.booking_id == stay.booking_id).values(**values))
