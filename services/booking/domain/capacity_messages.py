"""Commands and events of a facility's capacity (``capacity.py`` decides on them).

A facility's capacity is set from the registry's facility events (beds, day places, canteen seats)
or by its staff (bathing sessions, carers' time); bookings reserve and release it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from services.booking.domain.catalogue import When
from services.booking.domain.ledger import Claim


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetCapacity:
    """From the registry's facility events (beds, day places, canteen seats) or the facility's staff."""

    facility_id: str
    pool: str
    units: int
    at: datetime
    slots: tuple[time, ...] = ()   # slot pools: the start times offered each day
    slot_minutes: int = 0


@dataclass(frozen=True)
class Reserve:
    facility_id: str
    booking_id: str
    elder_id: str
    service: str
    when: When
    at: datetime
    wait: bool = True  # join the waiting list when full, rather than be refused


@dataclass(frozen=True)
class Release:
    """The booking was cancelled, rejected or not shown: its reservation or waiting request goes."""

    facility_id: str
    service: str
    booking_id: str
    at: datetime


@dataclass(frozen=True)
class SuspendCapacity:
    facility_id: str
    pool: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ReopenCapacity:
    facility_id: str
    pool: str
    at: datetime


@dataclass(frozen=True)
class CloseCapacity:
    facility_id: str
    pool: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ExpireWaiting:
    """The clock's command (a timer): waiting requests whose time has come leave the list."""

    facility_id: str
    pool: str
    at: datetime


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class CapacitySet:
    facility_id: str
    pool: str
    units: int
    slots: tuple[time, ...]
    slot_minutes: int


@dataclass(frozen=True)
class UnitsReserved:
    facility_id: str
    claim: Claim


@dataclass(frozen=True)
class RequestWaitlisted:
    facility_id: str
    claim: Claim


@dataclass(frozen=True)
class WaitlistPromoted:
    """Capacity freed and this waiting request, the first that now fits, holds it: confirm the booking."""

    facility_id: str
    claim: Claim


@dataclass(frozen=True)
class UnitsReleased:
    facility_id: str
    booking_id: str


@dataclass(frozen=True)
class WaitlistLeft:
    facility_id: str
    booking_id: str
    reason: str  # "released", or "expired" when its time came while it waited


@dataclass(frozen=True)
class ReservationWithdrawn:
    """Capacity shrank below what was reserved: the newest reservations go, and their bookings are
    cancelled by the facility."""

    facility_id: str
    booking_id: str
    reason: str


@dataclass(frozen=True)
class CapacitySuspended:
    facility_id: str
    pool: str
    reason: str
    open_bookings: tuple[str, ...]  # reserved from today on, then waiting: for the facility to settle


@dataclass(frozen=True)
class CapacityReopened:
    facility_id: str
    pool: str


@dataclass(frozen=True)
class CapacityClosed:
    facility_id: str
    pool: str
    reason: str
    open_bookings: tuple[str, ...]
