"""marshmallow schemas of the booking API: request bodies, queries and answers (api.py uses them).

Ids a client sends are UUIDs; dates and times are local (Beijing time), ``YYYY-MM-DD`` and ``HH:MM``.
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http_api import PageQuerySchema
from services.booking.domain.bookings import CANCELLED_BY, TRANSITIONS
from services.booking.domain.recurrence import WEEKDAYS
from services.booking.schemas import AREA_CODE, POOLS, UUID, WhenSchema, pool, reason, service

STATUSES = ("requested", *TRANSITIONS)
MAX_SCHEDULE_DAYS = 92  # a quarter: a schedule is read a week or a month at a time


# -- bodies -------------------------------------------------------------------------------------
class RequestBody(Schema):
    booking_id = fields.String(load_default=None, validate=UUID,
                               metadata={"description": "chosen by the client to make a retried request safe"})
    elder_id = fields.String(required=True, validate=UUID)
    facility_id = fields.String(required=True, validate=UUID)
    service = service(required=True)
    when = fields.Nested(WhenSchema, required=True)
    wait = fields.Boolean(load_default=True, metadata={"description": "join the waiting list when full"})


class SeriesBody(Schema):
    """A recurring booking: every chosen weekday from ``when.day`` to ``last_day``, each occurrence at
    the time (and for the stay's length) of ``when``."""

    series_id = fields.String(load_default=None, validate=UUID,
                              metadata={"description": "chosen by the client to make a retried series safe"})
    elder_id = fields.String(required=True, validate=UUID)
    facility_id = fields.String(required=True, validate=UUID)
    service = service(required=True)
    when = fields.Nested(WhenSchema, required=True,
                         metadata={"description": "the first day the series may fall on, and each one's time"})
    weekdays = fields.List(fields.String(validate=validate.OneOf(WEEKDAYS)), required=True,
                           validate=validate.Length(min=1, max=len(WEEKDAYS)))
    last_day = fields.Date(required=True, metadata={"description": "the last day an occurrence may fall on"})
    wait = fields.Boolean(load_default=True, metadata={"description": "each occurrence joins the waiting list "
                                                                      "when full"})

    @validates_schema
    def _ordered(self, data, **kwargs):
        if "when" in data and "last_day" in data and data["last_day"] < data["when"].day:
            raise ValidationError("on or after when.day", "last_day")


class CancelBody(Schema):
    by = fields.String(required=True, validate=validate.OneOf(CANCELLED_BY))
    reason = reason(required=True)


class DeliverBody(Schema):
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                           metadata={"description": "meals, days, sessions, nights or minutes delivered"})


class CapacityBody(Schema):
    """Capacity a facility's staff set: sessions (bathing at 10:00) and carers' minutes a day."""

    pool = pool(required=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=0),
                           metadata={"description": "places a session or a day; carers' minutes a day"})
    slots = fields.List(fields.Time(), load_default=list, metadata={"description": "sessions' start times"})
    slot_minutes = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=24 * 60))


# -- queries ------------------------------------------------------------------------------------
class DateRange(Schema):
    """``?from=&to=``: the days (both included) a list or a schedule covers."""

    day_from = fields.Date(data_key="from", load_default=None)
    day_to = fields.Date(data_key="to", load_default=None)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data.get("day_from") and data.get("day_to") and data["day_to"] < data["day_from"]:
            raise ValidationError("on or after from", "to")


class ScheduleQuery(DateRange):
    day_from = fields.Date(data_key="from", required=True)
    day_to = fields.Date(data_key="to", required=True)

    @validates_schema
    def _short(self, data, **kwargs):
        if (data["day_to"] - data["day_from"]).days >= MAX_SCHEDULE_DAYS:
            raise ValidationError(f"at most {MAX_SCHEDULE_DAYS} days after from", "to")


class BookingQuery(PageQuerySchema, DateRange):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    facility_id = fields.String(load_default=None, validate=UUID)
    elder_id = fields.String(load_default=None, validate=UUID)
    series_id = fields.String(load_default=None, validate=UUID)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class ElderBookingQuery(PageQuerySchema, DateRange):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


# -- answers ------------------------------------------------------------------------------------
class WhenOut(Schema):
    day = fields.Date()
    until = fields.Date(allow_none=True)
    start = fields.String(allow_none=True, metadata={"description": "HH:MM"})
    minutes = fields.Integer()


class BookingOut(Schema):
    booking_id = fields.String()
    elder_id = fields.String()
    facility_id = fields.String()
    area_code = fields.String()
    service = fields.String()
    when = fields.Nested(WhenOut)
    status = fields.String(validate=validate.OneOf(STATUSES))
    reason = fields.String(allow_none=True, metadata={"description": "why rejected or cancelled"})
    cancelled_by = fields.String(allow_none=True)
    waiting = fields.Boolean(metadata={"description": "requested and on the facility's waiting list"})
    flag = fields.String(allow_none=True, metadata={"description": "the facility stopped taking bookings"})
    units_delivered = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)
    series_id = fields.String(allow_none=True)
    requested_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class SeriesOut(Schema):
    series_id = fields.String()
    bookings = fields.List(fields.Nested(BookingOut), metadata={"description": "each occurrence, decided on "
                                                                               "its own"})


class CellOut(Schema):
    day = fields.Date()
    start = fields.String(allow_none=True, metadata={"description": "a session's start, HH:MM"})
    capacity = fields.Integer()
    reserved = fields.Integer()
    free = fields.Integer()
    waiting = fields.Integer(metadata={"description": "requests waiting for this day or session"})


class PoolOut(Schema):
    pool = fields.String(validate=validate.OneOf(POOLS))
    kind = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    units = fields.Integer()
    slots = fields.List(fields.String())
    slot_minutes = fields.Integer()
    cells = fields.List(fields.Nested(CellOut))


class ScheduleOut(Schema):
    facility_id = fields.String()
    area_code = fields.String()
    day_from = fields.Date(data_key="from")
    day_to = fields.Date(data_key="to")
    pools = fields.List(fields.Nested(PoolOut))
    bookings = fields.List(fields.Nested(BookingOut))
