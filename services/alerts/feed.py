"""The booking service's events, as supervision needs them: which bookings are confirmed for which
day, and which were delivered (or ended otherwise). Kept in ``alerts_booking_facts`` by the consumer
in the same transaction as its inbox entry; the rule runs on them at each check (handlers.py), at
the home node of the booking's area only.

Only the fields read here are checked: the rest of a payload is the booking service's.
"""
from __future__ import annotations

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, fields

from shared.events import Event
from shared.schemas import load
from services.alerts import tables

BOOKING = "eldernet.booking."
ENDS = {"BookingConfirmed": "confirmed", "BookingCheckedIn": "checked_in", "BookingDelivered": "delivered",
        "BookingCancelled": "cancelled", "BookingNoShow": "no_show", "BookingRejected": "rejected"}
BOOKING_EVENTS = tuple(BOOKING + name for name in ("BookingRequested", *ENDS))
FLAGGED = "flagged"  # a finding was recorded: the rule need not look at it again


class _When(Schema):
    class Meta:
        unknown = EXCLUDE

    day = fields.Date(required=True)


class BookingPayload(Schema):
    class Meta:
        unknown = EXCLUDE

    booking_id = fields.String(required=True)
    elder_id = fields.String()
    facility_id = fields.String()
    area_code = fields.String()
    when = fields.Nested(_When)


def follow(conn, event: Event) -> None:
    data = load(BookingPayload(), event.data, prefix="data.")
    kind, facts = event.type[len(BOOKING):], tables.bookings
    where = facts.c.booking_id == data["booking_id"]
    known = conn.execute(sa.select(facts.c.status).where(where)).scalar()
    if kind == "BookingRequested":
        if known is None:
            conn.execute(facts.insert().values(booking_id=data["booking_id"], elder_id=data["elder_id"],
                                               facility_id=data["facility_id"], area_code=data["area_code"],
                                               service_date=data["when"]["day"], status="requested"))
    elif known is not None and not (known == FLAGGED and ENDS[kind] == "confirmed"):
        conn.execute(facts.update().where(where).values(status=ENDS[kind]))


def flag(conn, booking_id: str) -> None:
    conn.execute(tables.bookings.update().where(tables.bookings.c.booking_id == booking_id).values(status=FLAGGED))
