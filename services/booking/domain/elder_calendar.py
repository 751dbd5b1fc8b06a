"""An elder's calendar: the bookings the elder holds, so that no two of them exclude each other
(one bed a night, one place at a time; catalogue.excludes).

One stream per elder (``calendar-<elder_id>``): two requests for the same elder made at the same
moment, at two facilities, meet here and the store's optimistic concurrency lets only one through.
A booking holds its time from its request (so that two clashing requests cannot both wait for
capacity) until it is rejected, cancelled or not shown; a delivered booking keeps it, as history.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterable

from shared.aggregate import Decider, Rejected
from services.booking.domain.catalogue import When, check_when, excludes, moment


@dataclass(frozen=True)
class Held:
    booking_id: str
    facility_id: str
    service: str
    when: When


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class HoldTime:
    elder_id: str
    booking: Held
    at: datetime


@dataclass(frozen=True)
class FreeTime:
    elder_id: str
    booking_id: str
    at: datetime


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeHeld:
    elder_id: str
    booking: Held


@dataclass(frozen=True)
class TimeFreed:
    elder_id: str
    booking_id: str


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Calendar:
    held: tuple[Held, ...] = ()


def clash(held: Iterable[Held], service: str, when: When) -> Held | None:
    """The first booking in ``held`` that a booking of ``service`` at ``when`` would exclude."""
    return next((h for h in held if excludes(service, when, h.service, h.when)), None)


def decide(state: Calendar, command) -> list:
    if isinstance(command, HoldTime):
        wanted = command.booking
        if any(h.booking_id == wanted.booking_id for h in state.held):
            return []
        check_when(wanted.service, wanted.when)
        other = clash(state.held, wanted.service, wanted.when)
        if other is not None:
            raise Rejected(f"the elder already has {other.service} on {moment(other.when)} "
                           f"(booking {other.booking_id})", field="day")
        return [TimeHeld(command.elder_id, wanted)]
    if isinstance(command, FreeTime):
        # Freeing what is not held does nothing: the booking may have been refused before it held.
        held = any(h.booking_id == command.booking_id for h in state.held)
        return [TimeFreed(command.elder_id, command.booking_id)] if held else []
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Calendar, event) -> Calendar:
    if isinstance(event, TimeHeld):
        return replace(state, held=state.held + (event.booking,))
    if isinstance(event, TimeFreed):
        return replace(state, held=tuple(h for h in state.held if h.booking_id != event.booking_id))
    return state


calendar = Decider(category="calendar", initial=Calendar, decide=decide, evolve=evolve)
