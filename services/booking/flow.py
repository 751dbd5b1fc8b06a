"""A booking's steps inside one unit of work at the facility's home node: the booking, the elder's
calendar and the facility's pool are written together, so a request is confirmed, waitlisted or
rejected in one transaction and the store's optimistic concurrency decides every race.

    request:   BookingRequested → HoldTime → Reserve → UnitsReserved → BookingConfirmed
                                     ↘ refused        ↘ waitlisted (stays requested) / refused
                                        BookingRejected (nothing held)
    cancel, no-show:   the booking's step → Release → FreeTime → whatever the release frees

What capacity decides for *other* bookings follows in the same transaction (:func:`settle`): a
promoted request is confirmed, a withdrawn reservation cancelled by the facility, a request whose
time came while it waited rejected.

The elder's calendar is kept per node (``calendar-<elder_id>@<node area>``), written only at the
node that writes the booking: a stream written at two nodes would break the single-writer rule the
tiered sync relies on. So exclusive overlaps are refused among all of an elder's bookings at the
facilities homed at one node, not yet across nodes (docs/booking.md, "Not built yet").
"""
from __future__ import annotations

from datetime import datetime

from shared.aggregate import Rejected
from services.booking import elders
from services.booking.domain import capacity_messages as m
from services.booking.domain.bookings import (Booking, CancelBooking, ConfirmBooking, RejectBooking, RequestBooking,
                                              booking)
from services.booking.domain.capacity import capacity, capacity_id
from services.booking.domain.catalogue import pool_of
from services.booking.domain.elder_calendar import FreeTime, Held, HoldTime, calendar

# A refusal naming one of these is about what was asked (a service the facility does not offer
# here, a session that does not start then, a length or a stay it cannot be): an input error,
# answered 409 with nothing stored. Any other refusal is about how things stand (the elder's time
# is taken, the facility is suspended, it is full): the booking's outcome, recorded as rejected.
INPUT_FIELDS = frozenset({"service", "start", "minutes", "until"})
EXPIRED = "its time came while it waited for a place"


def calendar_key(work, elder_id: str) -> str:
    return f"{elder_id}@{work.context.node.area_code}"


def pool_key(facility_id: str, service: str) -> str:
    return capacity_id(facility_id, pool_of(service))


def request(work, command: RequestBooking, wait: bool) -> None:
    """Record the request, then hold the elder's time and reserve the place (or wait for one);
    a refusal of either is the booking's rejection, and then nothing is held. An elder the
    registry has not told this node of is refused first: nothing is stored."""
    if work.is_home(booking.stream_id(command.booking_id), command.area_code):  # else it is forwarded there
        elders.require_known(work, command.elder_id)
    state, version = work.load(booking, command.booking_id)
    requested = booking.decide(state, command)  # the request's own errors: nothing is stored
    try:
        hold, reserve = _hold_and_reserve(work, command, wait)
    except Rejected as refusal:
        if refusal.field in INPUT_FIELDS:
            raise
        rejected = booking.decide(booking.fold(requested, state),
                                  RejectBooking(command.booking_id, refusal.reason, command.at))
        _record(work, booking, command.booking_id, version, requested + rejected, command.area_code, command.at)
        return
    at = command.at
    _record(work, booking, command.booking_id, version, requested, command.area_code, at)
    _record(work, calendar, calendar_key(work, command.elder_id), *hold, work.context.node.area_code, at)
    _record(work, capacity, pool_key(command.facility_id, command.service), *reserve, command.area_code, at)
    settle(work, reserve[1], at)


def _hold_and_reserve(work, command: RequestBooking, wait: bool) -> tuple[tuple[int, list], tuple[int, list]]:
    """Both decisions, each with the version it was made on; nothing is recorded yet."""
    held = Held(command.booking_id, command.facility_id, command.service, command.when)
    hold = _decide(work, calendar, calendar_key(work, command.elder_id), HoldTime(command.elder_id, held, command.at))
    reserve = _decide(work, capacity, pool_key(command.facility_id, command.service),
                      m.Reserve(command.facility_id, command.booking_id, command.elder_id, command.service,
                                command.when, command.at, wait=wait))
    return hold, reserve


def step(work, booking_id: str, command) -> tuple[Booking, list]:
    """One step of a booking (check in, deliver …), recorded in the booking's own area."""
    state, version = work.load(booking, booking_id)
    if not state.status:
        raise Rejected(f"no booking {booking_id}", field="booking_id")
    events = booking.decide(state, command)
    _record(work, booking, booking_id, version, events, state.area_code, command.at)
    return state, events


def end(work, booking_id: str, command) -> None:
    """A step that gives the booking's place back (cancel, no-show): release it, free the time."""
    state, events = step(work, booking_id, command)
    if not events:
        return  # the same step again: done the first time
    released = execute(work, capacity, pool_key(state.facility_id, state.service),
                       m.Release(state.facility_id, state.service, booking_id, command.at), state.area_code)
    _free_time(work, state, booking_id, command.at)
    settle(work, released, command.at)


def settle(work, capacity_events: list, at: datetime) -> None:
    """The bookings that what capacity decided confirms, cancels or rejects."""
    for event in capacity_events:
        if isinstance(event, (m.UnitsReserved, m.WaitlistPromoted)):
            step(work, event.claim.booking_id, ConfirmBooking(event.claim.booking_id, at))
        elif isinstance(event, m.ReservationWithdrawn):
            _close(work, event.booking_id, CancelBooking(event.booking_id, "facility", event.reason, at))
        elif isinstance(event, m.WaitlistLeft) and event.reason == "expired":
            _close(work, event.booking_id, RejectBooking(event.booking_id, EXPIRED, at))


def _close(work, booking_id: str, command) -> None:
    state, events = step(work, booking_id, command)
    if events:
        _free_time(work, state, booking_id, command.at)


def _free_time(work, state: Booking, booking_id: str, at: datetime) -> None:
    execute(work, calendar, calendar_key(work, state.elder_id), FreeTime(state.elder_id, booking_id, at),
            work.context.node.area_code)


def execute(work, decider, key: str, command, area_code: str) -> list:
    """Decide and record, like ``work.execute``, answering the domain's events (what :func:`settle`
    reads) rather than their envelopes."""
    version, events = _decide(work, decider, key, command)
    _record(work, decider, key, version, events, area_code, command.at)
    return events


def _decide(work, decider, key: str, command) -> tuple[int, list]:
    state, version = work.load(decider, key)
    return version, decider.decide(state, command)


def _record(work, decider, key: str, version: int, events: list, area_code: str, at: datetime) -> None:
    work.record(decider.stream_id(key), version, events, area_code=area_code, at=at)
