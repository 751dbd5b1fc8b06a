"""The booking service's read models, each rebuilt from the store by `eldernet replay booking <name>`.

* ``bookings``: one row per booking, with its status and what the facility's capacity says of it
  (waiting, flagged when the facility stopped taking bookings);
* ``capacity``: each facility's pools and the claims on them (reserved or waiting), from which
  queries.py works out the free capacity of any day or session with the domain's own arithmetic.
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.db import UTCDateTime
from shared.projections import Projection
from services.booking.domain.catalogue import kind_of_pool, last_day
from services.booking.schemas import PREFIX as P, WhenSchema

metadata = sa.MetaData()

_WHEN_COLUMNS = (
    ("day", sa.Date), ("until", sa.Date), ("start", sa.String(5)), ("minutes", sa.Integer), ("last_day", sa.Date))


def _when_columns():
    return [sa.Column(name, type_, nullable=name in ("until", "start")) for name, type_ in _WHEN_COLUMNS]


bookings = sa.Table(
    "booking_bookings", metadata,
    sa.Column("booking_id", sa.String(36), primary_key=True),
    sa.Column("elder_id", sa.String(64), nullable=False, index=True),
    sa.Column("facility_id", sa.String(64), nullable=False, index=True),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("service", sa.String(32), nullable=False),
    *_when_columns(),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("reason", sa.String(500)),
    sa.Column("cancelled_by", sa.String(16)),
    sa.Column("waiting", sa.Boolean, nullable=False),
    sa.Column("flag", sa.String(600)),
    sa.Column("units_delivered", sa.Integer),
    sa.Column("unit", sa.String(16)),
    sa.Column("series_id", sa.String(36)),
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_booking_bookings_facility_day", "facility_id", "day"),
)

pools = sa.Table(
    "booking_pools", metadata,
    sa.Column("facility_id", sa.String(64), primary_key=True),
    sa.Column("pool", sa.String(32), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_reason", sa.String(500)),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("slots", sa.JSON, nullable=False),
    sa.Column("slot_minutes", sa.Integer, nullable=False),
)

claims = sa.Table(
    "booking_claims", metadata,
    sa.Column("booking_id", sa.String(36), primary_key=True),
    sa.Column("facility_id", sa.String(64), nullable=False),
    sa.Column("pool", sa.String(32), nullable=False),
    sa.Column("elder_id", sa.String(64), nullable=False),
    sa.Column("service", sa.String(32), nullable=False),
    *_when_columns(),
    sa.Column("waiting", sa.Boolean, nullable=False),
    sa.Column("position", sa.BigInteger, nullable=False),  # store order: the waiting list's order
    sa.Index("ix_booking_claims_pool_day", "facility_id", "pool", "day"),
)


def when_row(data: dict) -> dict:
    """A payload's ``when`` as read-model columns (start as HH:MM)."""
    when = WhenSchema().load(data)
    return {"day": when.day, "until": when.until, "start": None if when.start is None else f"{when.start:%H:%M}",
            "minutes": when.minutes, "last_day": last_day(when)}


def _types(*names: str) -> frozenset:
    return frozenset(P + name for name in names)


class BookingList(Projection):
    name = "bookings"
    tables = (bookings,)
    _STATUS = {"BookingConfirmed": "confirmed", "BookingRejected": "rejected", "BookingCheckedIn": "checked_in",
               "BookingDelivered": "delivered", "BookingCancelled": "cancelled", "BookingNoShow": "no_show"}
    handles = _types("BookingRequested", *_STATUS, "RequestWaitlisted", "WaitlistPromoted", "WaitlistLeft",
                     "CapacitySuspended", "CapacityClosed", "CapacityReopened")

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        if kind == "BookingRequested":
            conn.execute(bookings.insert().values(
                booking_id=d["booking_id"], elder_id=d["elder_id"], facility_id=d["facility_id"],
                area_code=d["area_code"], service=d["service"], **when_row(d["when"]), status="requested",
                waiting=False, series_id=d["series_id"], requested_at=event.time, updated_at=event.time))
        elif kind in self._STATUS:
            conn.execute(bookings.update().where(bookings.c.booking_id == d["booking_id"]).values(
                status=self._STATUS[kind], waiting=False, updated_at=event.time, reason=d.get("reason"),
                cancelled_by=d.get("by"), units_delivered=d.get("units"), unit=d.get("unit")))
        elif kind in ("RequestWaitlisted", "WaitlistPromoted"):
            conn.execute(bookings.update().where(bookings.c.booking_id == d["claim"]["booking_id"])
                         .values(waiting=kind == "RequestWaitlisted"))
        elif kind == "WaitlistLeft":
            conn.execute(bookings.update().where(bookings.c.booking_id == d["booking_id"]).values(waiting=False))
        elif kind == "CapacityReopened":
            conn.execute(bookings.update().where(bookings.c.facility_id == d["facility_id"],
                                                 bookings.c.flag.like(f"{d['pool']} suspended%")).values(flag=None))
        else:
            stopped = "suspended" if kind == "CapacitySuspended" else "closed"
            conn.execute(bookings.update().where(bookings.c.booking_id.in_(d["open_bookings"]))
                         .values(flag=f"{d['pool']} {stopped}: {d['reason']}"))


class CapacityBoard(Projection):
    name = "capacity"
    tables = (pools, claims)
    _STATUS = {"CapacitySuspended": "suspended", "CapacityReopened": "open", "CapacityClosed": "closed"}
    _CLAIM_ENDS = ("UnitsReleased", "ReservationWithdrawn", "WaitlistLeft")
    handles = _types("CapacitySet", *_STATUS, "UnitsReserved", "RequestWaitlisted", "WaitlistPromoted", *_CLAIM_ENDS)

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        if kind == "CapacitySet":
            self._set(conn, event)
        elif kind in self._STATUS:
            conn.execute(pools.update().where(pools.c.facility_id == d["facility_id"], pools.c.pool == d["pool"])
                         .values(status=self._STATUS[kind], status_reason=d.get("reason")))
        elif kind in ("UnitsReserved", "RequestWaitlisted"):
            claim = d["claim"]
            conn.execute(claims.insert().values(
                booking_id=claim["booking_id"], facility_id=d["facility_id"], pool=event.stream_id.rsplit(":", 1)[1],
                elder_id=claim["elder_id"], service=claim["service"], **when_row(claim["when"]),
                waiting=kind == "RequestWaitlisted", position=event.position))
        elif kind == "WaitlistPromoted":
            conn.execute(claims.update().where(claims.c.booking_id == d["claim"]["booking_id"]).values(waiting=False))
        else:
            conn.execute(claims.delete().where(claims.c.booking_id == d["booking_id"]))

    @staticmethod
    def _set(conn, event):
        d = event.data
        values = dict(units=d["units"], slots=[s[:5] for s in d["slots"]], slot_minutes=d["slot_minutes"])
        where = (pools.c.facility_id == d["facility_id"], pools.c.pool == d["pool"])
        if conn.execute(sa.select(pools.c.pool).where(*where)).first() is None:
            conn.execute(pools.insert().values(facility_id=d["facility_id"], pool=d["pool"], area_code=event.area_code,
                                               kind=kind_of_pool(d["pool"]), status="open", **values))
        else:
            conn.execute(pools.update().where(*where).values(**values))


def booking_projections() -> list[Projection]:
    return [BookingList(), CapacityBoard()]
