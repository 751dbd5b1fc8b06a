"""marshmallow schemas of the booking service's events: what subscribers receive (docs/booking.md).

Three streams: ``booking-<id>`` (the lifecycle), ``capacity-<facility_id>:<pool>`` (a facility's
pool) and ``calendar-<elder_id>@<area>`` (an elder's bookings at one node; see flow.py). The API
bodies are in bodies.py.
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import EventRegistry, Makes, lowercase_uuid
from services.booking.domain import bookings as b, capacity_messages as m, elder_calendar as c
from services.booking.domain.catalogue import SERVICES, When, pool_of
from services.booking.domain.ledger import Claim

PREFIX = "eldernet.booking."
POOLS = tuple(sorted({pool_of(service) for service in SERVICES}))
AREA_CODE = validate.Regexp(r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?)?$",
                            error="a 2, 4, 6, 9 or 12-digit area code")
UUID = lowercase_uuid()


def typed(base: type[Makes], into: type) -> type[Makes]:
    """The schema of event ``into`` whose fields are all ``base``'s, named for it (AsyncAPI names
    its components after the schemas)."""
    return type(f"{into.__name__}Schema", (base,), {"make": into, "__module__": __name__})


def record_id(**kwargs):
    """A facility's or an elder's id: the registry's (its events allow up to 64 characters)."""
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


def booking_id(**kwargs):
    return fields.String(validate=UUID, **kwargs)


def reason(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=500), **kwargs)


def service(**kwargs):
    return fields.String(validate=validate.OneOf(SERVICES), **kwargs)


def pool(**kwargs):
    return fields.String(validate=validate.OneOf(POOLS), **kwargs)


# -- values -------------------------------------------------------------------------------------
class WhenSchema(Makes):
    """When a booking is (catalogue.When): local dates and times, Beijing time."""

    make = When
    day = fields.Date(required=True, metadata={"description": "the day; a stay's first night"})
    until = fields.Date(allow_none=True, load_default=None, metadata={"description": "a stay's leaving day"})
    start = fields.Time(allow_none=True, load_default=None, metadata={"description": "a session's start, HH:MM"})
    minutes = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 60),
                             metadata={"description": "a session's length; carers' minutes"})


class BookedSchema(Makes):
    """What a booking takes: the service, when."""

    booking_id = booking_id(required=True)
    service = service(required=True)
    when = fields.Nested(WhenSchema, required=True)


class ClaimSchema(BookedSchema):
    make = Claim
    elder_id = record_id(required=True)


class HeldSchema(BookedSchema):
    make = c.Held
    facility_id = record_id(required=True)


# -- booking-<id> -------------------------------------------------------------------------------
class BookingIdSchema(Makes):
    booking_id = booking_id(required=True)


BookingConfirmedSchema = typed(BookingIdSchema, b.BookingConfirmed)
BookingNoShowSchema = typed(BookingIdSchema, b.BookingNoShow)


class WhoWhereSchema(BookingIdSchema):
    """Who booked what, where: the parts of the request that billing needs again on delivery."""

    elder_id = record_id(required=True)
    facility_id = record_id(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    service = service(required=True)


class BookingRequestedSchema(WhoWhereSchema):
    make = b.BookingRequested
    when = fields.Nested(WhenSchema, required=True)
    series_id = fields.String(allow_none=True, load_default=None, validate=UUID)


class BookingRejectedSchema(BookingIdSchema):
    make = b.BookingRejected
    reason = reason(required=True)


class BookingCancelledSchema(BookingIdSchema):
    make = b.BookingCancelled
    by = fields.String(required=True, validate=validate.OneOf(b.CANCELLED_BY))
    reason = reason(required=True)


class BookingCheckedInSchema(BookingIdSchema):
    """Who came in where, for what (null only in check-ins recorded before the event said so)."""

    make = b.BookingCheckedIn
    elder_id = record_id(allow_none=True, load_default=None)
    facility_id = record_id(allow_none=True, load_default=None)
    area_code = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    service = service(allow_none=True, load_default=None)


class BookingDeliveredSchema(WhoWhereSchema):
    """What billing prices a subsidy claim from."""

    make = b.BookingDelivered
    service_date = fields.Date(required=True, metadata={"description": "the day served; a stay's first night"})
    until = fields.Date(allow_none=True, load_default=None, metadata={"description": "a stay's leaving day"})
    units = fields.Integer(required=True, validate=validate.Range(min=1))
    unit = fields.String(required=True, validate=validate.OneOf(("meals", "days", "sessions", "nights", "minutes")))
    delivered_at = fields.AwareDateTime(required=True)


# -- capacity-<facility_id>:<pool> ---------------------------------------------------------------
class CapacitySetSchema(Makes):
    make = m.CapacitySet
    facility_id = record_id(required=True)
    pool = pool(required=True)
    units = fields.Integer(required=True, validate=validate.Range(min=0))
    slots = fields.List(fields.Time(), load_default=list, metadata={"description": "sessions' start times"})
    slot_minutes = fields.Integer(load_default=0, validate=validate.Range(min=0))


class ClaimEventSchema(Makes):
    facility_id = record_id(required=True)
    claim = fields.Nested(ClaimSchema, required=True)


UnitsReservedSchema = typed(ClaimEventSchema, m.UnitsReserved)
RequestWaitlistedSchema = typed(ClaimEventSchema, m.RequestWaitlisted)
WaitlistPromotedSchema = typed(ClaimEventSchema, m.WaitlistPromoted)


class UnitsReleasedSchema(Makes):
    make = m.UnitsReleased
    facility_id = record_id(required=True)
    booking_id = booking_id(required=True)


class WaitlistLeftSchema(UnitsReleasedSchema):
    make = m.WaitlistLeft
    reason = fields.String(required=True, validate=validate.OneOf(("released", "expired")))


class ReservationWithdrawnSchema(UnitsReleasedSchema):
    make = m.ReservationWithdrawn
    reason = reason(required=True)


class PoolEventSchema(Makes):
    facility_id = record_id(required=True)
    pool = pool(required=True)


CapacityReopenedSchema = typed(PoolEventSchema, m.CapacityReopened)


class PoolStoppedSchema(PoolEventSchema):
    reason = reason(required=True)
    open_bookings = fields.List(booking_id(), required=True,
                                metadata={"description": "reserved from that day on, then waiting: to settle"})


CapacitySuspendedSchema = typed(PoolStoppedSchema, m.CapacitySuspended)
CapacityClosedSchema = typed(PoolStoppedSchema, m.CapacityClosed)


# -- calendar-<elder_id>@<area> -----------------------------------------------------------------
class TimeHeldSchema(Makes):
    make = c.TimeHeld
    elder_id = record_id(required=True)
    booking = fields.Nested(HeldSchema, required=True)


class TimeFreedSchema(Makes):
    make = c.TimeFreed
    elder_id = record_id(required=True)
    booking_id = booking_id(required=True)


EVENT_SCHEMAS = (
    BookingRequestedSchema, BookingConfirmedSchema, BookingRejectedSchema, BookingCheckedInSchema,
    BookingDeliveredSchema, BookingCancelledSchema, BookingNoShowSchema,
    CapacitySetSchema, UnitsReservedSchema, RequestWaitlistedSchema, WaitlistPromotedSchema, UnitsReleasedSchema,
    WaitlistLeftSchema, ReservationWithdrawnSchema, CapacitySuspendedSchema, CapacityReopenedSchema,
    CapacityClosedSchema, TimeHeldSchema, TimeFreedSchema,
)


def booking_events() -> EventRegistry:
    """Every event type the booking service records, by its CloudEvents type."""
    events = EventRegistry()
    for schema in EVENT_SCHEMAS:
        events.register(PREFIX + schema.make.__name__, schema.make, schema())
    return events
