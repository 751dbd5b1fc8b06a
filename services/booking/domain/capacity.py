"""The capacity of one facility's pool (beds, carers, a canteen, bathing slots …): reservations that
never exceed it, and a waiting list served first come, first served.

One stream per facility and pool (``capacity-<facility_id>:<pool>``, see :func:`capacity_id`): all
the facility's beds are one pool, so a respite stay and an admission cannot both take the last bed.
The facility's home node is the single writer of the stream, with the store's optimistic
concurrency underneath, so two workers racing for the last place cannot both win.

Capacity is counted per cell: a day (daily places, carers' minutes), a night (beds) or a day and
start time (slots). ``units`` is what each cell holds: places, beds, or carers' minutes a day.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time
from functools import reduce

from shared.aggregate import Decider, Rejected
from services.booking.domain.capacity_messages import (
    CapacityClosed, CapacityReopened, CapacitySet, CapacitySuspended, CloseCapacity, ExpireWaiting, Release,
    ReopenCapacity, RequestWaitlisted, Reserve, ReservationWithdrawn, SetCapacity, SuspendCapacity, UnitsReleased,
    UnitsReserved, WaitlistLeft, WaitlistPromoted)
from services.booking.domain.catalogue import (KIND, check_not_past, check_reason, check_when, is_count, is_past,
                                               kind_of_pool, last_day, local_now, minute_of_day, pool_of)
from services.booking.domain.ledger import Claim, demand, fits, overflow, promotions, shares_a_cell, usage


def capacity_id(facility_id: str, pool: str) -> str:
    return f"{facility_id}:{pool}"


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pool:
    pool: str = ""
    status: str = ""  # "" until its capacity is first set
    units: int = 0
    slots: tuple[time, ...] = ()
    slot_minutes: int = 0
    reserved: tuple[Claim, ...] = ()  # in the order they were reserved
    waiting: tuple[Claim, ...] = ()   # first come, first served
    ended: frozenset = field(default_factory=frozenset)  # so that a redelivered command does nothing

    def holds(self, booking_id: str) -> bool:
        return booking_id in self.ended or any(c.booking_id == booking_id for c in self.reserved + self.waiting)

    def capacity(self, cell) -> int:
        """What ``cell`` holds: a slot cell is a (day, start) pair, open only at a scheduled start."""
        if self.slots and cell[1] not in self.slots:
            return 0
        return self.units


# -- decide -----------------------------------------------------------------------------------
def decide(state: Pool, command) -> list:
    if isinstance(command, SetCapacity):
        return _set(state, command)
    if not state.status:
        raise Rejected("the facility has no capacity set for this service", field="service")
    if isinstance(command, Reserve):
        return _reserve(state, command)
    if isinstance(command, Release):
        return _release(state, command)
    if isinstance(command, ExpireWaiting):  # whatever the pool's status: their time has passed all the same
        return [WaitlistLeft(command.facility_id, c.booking_id, "expired") for c in state.waiting
                if is_past(c.when, command.at)]
    if isinstance(command, CloseCapacity):
        if state.status == "closed":
            return []
        return [CapacityClosed(command.facility_id, state.pool, check_reason(command.reason),
                               _open_bookings(state, command.at))]
    if state.status == "closed":
        raise Rejected("the facility is closed", field="facility_id")
    if isinstance(command, SuspendCapacity):
        if state.status == "suspended":
            return []
        return [CapacitySuspended(command.facility_id, state.pool, check_reason(command.reason),
                                  _open_bookings(state, command.at))]
    if isinstance(command, ReopenCapacity):
        if state.status == "open":
            return []
        return _and_promotions(state, [CapacityReopened(command.facility_id, state.pool)], command)
    raise TypeError(f"unknown command {command!r}")


def _set(state: Pool, command: SetCapacity) -> list:
    if state.status == "closed":
        raise Rejected("the facility is closed", field="facility_id")
    if state.pool and command.pool != state.pool:
        raise Rejected(f"this is the capacity of {state.pool}", field="pool")
    _check_schedule(kind_of_pool(command.pool), command)
    slots = tuple(sorted(set(command.slots)))
    if state.status and (command.units, slots, command.slot_minutes) == (state.units, state.slots, state.slot_minutes):
        return []
    changed = CapacitySet(command.facility_id, command.pool, command.units, slots, command.slot_minutes)
    after = evolve(state, changed)
    withdrawn = [ReservationWithdrawn(command.facility_id, claim.booking_id, f"{command.pool} capacity reduced")
                 for claim in overflow(after.reserved, after.capacity, local_now(command.at).date())]
    return _and_promotions(state, [changed, *withdrawn], command)


def _check_schedule(kind: str, command: SetCapacity) -> None:
    if not is_count(command.units) or command.units < 0:
        raise Rejected("a whole number, 0 or more", field="units")
    if kind != "slot" and (command.slots or command.slot_minutes):
        raise Rejected(f"only sessions have start times; {command.pool} has none", field="slots")
    if kind == "slot" and not command.slots:
        raise Rejected("the start times of the day's sessions", field="slots")
    if kind == "slot" and not 0 < command.slot_minutes:
        raise Rejected("how long a session lasts, in minutes", field="slot_minutes")
    if any(minute_of_day(start) + command.slot_minutes > 24 * 60 for start in command.slots):
        raise Rejected("sessions end by midnight", field="slots")


def _reserve(state: Pool, command: Reserve) -> list:
    _check_pool(state, command.service)
    if state.holds(command.booking_id):
        return []
    if state.status != "open":
        raise Rejected(f"the facility's {state.pool} is {state.status}: it takes no new bookings",
                       field="facility_id")
    check_when(command.service, command.when)
    check_not_past(command.when, command.at)
    claim = Claim(command.booking_id, command.elder_id, command.service, command.when)
    _check_claim(state, claim)
    if fits(claim, usage(state.reserved), state.capacity):
        return [UnitsReserved(command.facility_id, claim)]
    if command.wait:
        return [RequestWaitlisted(command.facility_id, claim)]
    raise Rejected(f"{state.pool} is full", field="day")


def _check_claim(state: Pool, claim: Claim) -> None:
    when = claim.when
    if state.slots and when.start not in state.slots:
        raise Rejected(f"sessions start at {', '.join(f'{s:%H:%M}' for s in state.slots)}", field="start")
    if state.slots and when.minutes != state.slot_minutes:
        raise Rejected(f"a session lasts {state.slot_minutes} minutes", field="minutes")
    if any(units > state.capacity(cell) for cell, units in demand(claim)):
        carers = KIND[claim.service] == "carer_time"
        raise Rejected(f"more than the facility has in all ({state.units} {'minutes' if carers else 'places'})",
                       field="minutes" if carers else "service")
    if KIND[claim.service] != "carer_time":  # one person takes one place, bed or seat at a time
        for other in state.reserved + state.waiting:
            if other.elder_id == claim.elder_id and shares_a_cell(claim, other):
                raise Rejected(f"the elder already holds booking {other.booking_id} then", field="elder_id")


def _release(state: Pool, command: Release) -> list:
    _check_pool(state, command.service)
    if command.booking_id in state.ended:
        return []
    if any(c.booking_id == command.booking_id for c in state.waiting):
        return [WaitlistLeft(command.facility_id, command.booking_id, "released")]
    if not any(c.booking_id == command.booking_id for c in state.reserved):
        raise Rejected(f"no reservation for booking {command.booking_id}", field="booking_id")
    return _and_promotions(state, [UnitsReleased(command.facility_id, command.booking_id)], command)


def _and_promotions(state: Pool, events: list, command) -> list:
    """``events``, then what they free for the waiting list; requests whose time has passed leave it."""
    after = reduce(evolve, events, state)
    if after.status != "open":
        return events
    expired = [c for c in after.waiting if is_past(c.when, command.at)]
    live = [c for c in after.waiting if c not in expired]
    return (events + [WaitlistLeft(command.facility_id, c.booking_id, "expired") for c in expired]
            + [WaitlistPromoted(command.facility_id, c) for c in promotions(live, usage(after.reserved),
                                                                             after.capacity)])


def _open_bookings(state: Pool, at: datetime) -> tuple[str, ...]:
    today = local_now(at).date()
    return (tuple(c.booking_id for c in state.reserved if last_day(c.when) >= today)
            + tuple(c.booking_id for c in state.waiting))


def _check_pool(state: Pool, service: str) -> None:
    if pool_of(service) != state.pool:
        raise Rejected(f"this is the capacity of {state.pool}, not of {service}", field="service")


# -- evolve -----------------------------------------------------------------------------------
def evolve(state: Pool, event) -> Pool:
    if isinstance(event, CapacitySet):
        return replace(state, pool=event.pool, status=state.status or "open", units=event.units,
                       slots=tuple(event.slots), slot_minutes=event.slot_minutes)
    if isinstance(event, UnitsReserved):
        return replace(state, reserved=state.reserved + (event.claim,))
    if isinstance(event, RequestWaitlisted):
        return replace(state, waiting=state.waiting + (event.claim,))
    if isinstance(event, WaitlistPromoted):
        return replace(state, waiting=_without(state.waiting, event.claim.booking_id),
                       reserved=state.reserved + (event.claim,))
    if isinstance(event, (UnitsReleased, ReservationWithdrawn)):
        return replace(state, reserved=_without(state.reserved, event.booking_id),
                       ended=state.ended | {event.booking_id})
    if isinstance(event, WaitlistLeft):
        return replace(state, waiting=_without(state.waiting, event.booking_id),
                       ended=state.ended | {event.booking_id})
    if type(event) in _STATUS_AFTER:
        return replace(state, status=_STATUS_AFTER[type(event)])
    return state


_STATUS_AFTER = {CapacitySuspended: "suspended", CapacityReopened: "open", CapacityClosed: "closed"}


def _without(claims: tuple[Claim, ...], booking_id: str) -> tuple[Claim, ...]:
    return tuple(c for c in claims if c.booking_id != booking_id)


capacity = Decider(category="capacity", initial=Pool, decide=decide, evolve=evolve)
