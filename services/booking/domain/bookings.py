"""One booking (预约) and its lifecycle, every step an event::

    requested → confirmed → checked_in → delivered
        ↘ rejected   ↘ no_show
    requested, confirmed → cancelled (by the elder or the facility, with the reason)

A booking is confirmed once the facility's capacity holds it (capacity.py); ``BookingDelivered``
carries all that billing needs to price a subsidy claim. Repeating the step a booking has just
taken does nothing, so a redelivered command is harmless; any other step out of order is refused.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.aggregate import Decider, Rejected
from shared.events import is_area_code
from services.booking.domain.catalogue import (When, booked_units, check_not_past, check_reason, check_when,
                                               has_begun, is_count, last_day, local_now, moment, unit_of)

CANCELLED_BY = ("elder", "facility")
# status: the statuses it may be reached from
TRANSITIONS = {
    "confirmed": ("requested",),
    "rejected": ("requested",),
    "checked_in": ("confirmed",),
    "delivered": ("checked_in",),
    "cancelled": ("requested", "confirmed"),
    "no_show": ("confirmed",),
}


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RequestBooking:
    booking_id: str
    elder_id: str
    facility_id: str
    area_code: str  # the facility's, so the booking is seen where the facility is
    service: str
    when: When
    at: datetime
    series_id: str | None = None  # set when it is one occurrence of a recurring booking


@dataclass(frozen=True)
class ConfirmBooking:
    booking_id: str
    at: datetime


@dataclass(frozen=True)
class RejectBooking:
    booking_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class CheckIn:
    booking_id: str
    at: datetime


@dataclass(frozen=True)
class DeliverBooking:
    booking_id: str
    units: int  # meals, days, sessions, nights or minutes actually delivered (catalogue.unit_of)
    at: datetime


@dataclass(frozen=True)
class CancelBooking:
    booking_id: str
    by: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class MarkNoShow:
    booking_id: str
    at: datetime


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BookingRequested:
    booking_id: str
    elder_id: str
    facility_id: str
    area_code: str
    service: str
    when: When
    series_id: str | None


@dataclass(frozen=True)
class BookingConfirmed:
    booking_id: str


@dataclass(frozen=True)
class BookingRejected:
    booking_id: str
    reason: str


@dataclass(frozen=True)
class BookingCheckedIn:
    """Who came in where, for what: the registry counts an admission's resident from it. (None only
    in check-ins recorded before the event said so.)"""

    booking_id: str
    elder_id: str | None = None
    facility_id: str | None = None
    area_code: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class BookingDelivered:
    """What billing prices a subsidy claim from: who had what, where, when, and how much of it."""

    booking_id: str
    elder_id: str
    facility_id: str
    area_code: str
    service: str
    service_date: date        # a stay's first night
    until: date | None        # a stay's leaving day, as booked
    units: int
    unit: str                 # meals, days, sessions, nights or minutes
    delivered_at: datetime


@dataclass(frozen=True)
class BookingCancelled:
    booking_id: str
    by: str
    reason: str


@dataclass(frozen=True)
class BookingNoShow:
    booking_id: str


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Booking:
    status: str = ""  # "" until requested, then "requested" or a status of TRANSITIONS
    elder_id: str = ""
    facility_id: str = ""
    area_code: str = ""
    service: str = ""
    when: When | None = None


def decide(state: Booking, command) -> list:
    if isinstance(command, RequestBooking):
        return _request(state, command)
    if not state.status:
        raise Rejected(f"no booking {command.booking_id}", field="booking_id")
    target = _TARGET.get(type(command))
    if target is None:
        raise TypeError(f"unknown command {command!r}")
    if state.status == target:
        return []
    if state.status not in TRANSITIONS[target]:
        raise Rejected(f"the booking is {state.status}: it cannot become {target}", field="status")
    if isinstance(command, ConfirmBooking):
        return [BookingConfirmed(command.booking_id)]
    if isinstance(command, RejectBooking):
        return [BookingRejected(command.booking_id, check_reason(command.reason))]
    if isinstance(command, CancelBooking):
        if command.by not in CANCELLED_BY:
            raise Rejected(f"one of {', '.join(CANCELLED_BY)}", field="by")
        return [BookingCancelled(command.booking_id, command.by, check_reason(command.reason))]
    return _on_the_day(state, command)


def _request(state: Booking, command: RequestBooking) -> list:
    if state.status:
        raise Rejected(f"booking {command.booking_id} is already {state.status}", field="booking_id")
    if not is_area_code(command.area_code):
        raise Rejected("a 2, 4, 6, 9 or 12-digit area code", field="area_code")
    check_when(command.service, command.when)
    check_not_past(command.when, command.at)
    return [BookingRequested(command.booking_id, command.elder_id, command.facility_id, command.area_code,
                             command.service, command.when, command.series_id)]


def _on_the_day(state: Booking, command) -> list:
    """Check-in, no-show and delivery: steps taken once the booked day has come."""
    when, today = state.when, local_now(command.at).date()
    if isinstance(command, CheckIn):  # an elder may come before a session's start time, not a day early
        if not when.day <= today <= last_day(when):
            raise Rejected(f"the booking is for {moment(when)}: check in on the day", field="day")
        return [BookingCheckedIn(command.booking_id, state.elder_id, state.facility_id, state.area_code,
                                 state.service)]
    if isinstance(command, MarkNoShow):
        if not has_begun(when, command.at):
            raise Rejected(f"the booking is for {moment(when)}: too early for a no-show", field="day")
        return [BookingNoShow(command.booking_id)]
    most = booked_units(state.service, when)
    if not is_count(command.units) or not 0 < command.units <= most:
        raise Rejected(f"1 to {most} {unit_of(state.service)}, as booked", field="units")
    return [BookingDelivered(command.booking_id, state.elder_id, state.facility_id, state.area_code, state.service,
                             when.day, when.until, command.units, unit_of(state.service), command.at)]


_TARGET = {ConfirmBooking: "confirmed", RejectBooking: "rejected", CheckIn: "checked_in",
           DeliverBooking: "delivered", CancelBooking: "cancelled", MarkNoShow: "no_show"}
_REACHED = {BookingConfirmed: "confirmed", BookingRejected: "rejected", BookingCheckedIn: "checked_in",
            BookingDelivered: "delivered", BookingCancelled: "cancelled", BookingNoShow: "no_show"}


def evolve(state: Booking, event) -> Booking:
    if isinstance(event, BookingRequested):
        return Booking("requested", event.elder_id, event.facility_id, event.area_code, event.service, event.when)
    if type(event) in _REACHED:
        return replace(state, status=_REACHED[type(event)])
    return state


booking = Decider(category="booking", initial=Booking, decide=decide, evolve=evolve)
