"""The capacity invariant, checked with hypothesis over any interleaving of requests, releases,
capacity changes, suspensions and the passing of days, for each kind of capacity:

- reserved ≤ capacity on every day, night and slot from today on;
- nobody is reserved twice: a booking holds capacity once, an elder one place per cell;
- the waiting list is served in order: promotions come in the order of the list, a request that
  fits never stays waiting, and of two requests for the same thing the earlier is served first.

The events are replayed into a model of this test's own, so decide and evolve are both checked.
"""
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.booking.domain import capacity_messages as m
from services.booking.domain.capacity import capacity
from services.booking.domain.catalogue import LOCAL, When

# 09:00 on the 23rd in Beijing; days pass whole, so no session (from 09:00) is ever past on its own day.
START = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)
FIRST_DAY = date(2026, 11, 23)
SLOTS = (time(9), time(10))
SCENARIOS = {  # pool: (services, units a change may set)
    "beds": (("admission", "respite_care", "trial_stay", "full_time_care"), (0, 1, 2, 3)),
    "meals": (("meals",), (0, 1, 2, 3)),
    "bathing": (("bathing",), (0, 1, 2, 3)),
    "carers": (("cleaning", "shopping", "home_visits"), (0, 60, 120, 180)),
}


def when_of(pool, day, length, slot, minutes):
    if pool == "beds":
        return When(day, until=day + timedelta(days=length))
    if pool == "bathing":
        return When(day, start=SLOTS[slot], minutes=45)
    return When(day, minutes=minutes) if pool == "carers" else When(day)


def cells(pool, claim):
    """What the claim takes from each cell, worked out here rather than by the code under test."""
    when = claim.when
    if pool == "beds":
        return Counter({when.day + timedelta(days=n): 1 for n in range((when.until - when.day).days)})
    if pool == "bathing":
        return Counter({(when.day, when.start): 1})
    return Counter({when.day: when.minutes if pool == "carers" else 1})


def day_of(cell):
    return cell if isinstance(cell, date) else cell[0]


# Few days and many elders, so that requests meet on the same cells and the waiting list fills;
# suspensions are rare and short, so that most of a run is spent taking and freeing capacity.
STEPS = {
    "reserve": st.tuples(st.just("reserve"), st.integers(0, 5), st.integers(0, 2), st.integers(1, 2),
                         st.integers(0, 1), st.sampled_from((30, 60, 90, 120)), st.integers(0, 3), st.booleans()),
    "release": st.tuples(st.just("release"), st.integers(0, 40)),
    "retry": st.tuples(st.just("retry"), st.integers(0, 40)),  # a request delivered again
    "set": st.tuples(st.just("set"), st.integers(0, 3)),
    "suspend": st.just(("suspend",)), "reopen": st.just(("reopen",)), "tick": st.just(("tick",)),
}
WEIGHTS = {"reserve": 10, "release": 5, "retry": 2, "set": 2, "suspend": 1, "reopen": 3, "tick": 1}
operations = st.lists(st.sampled_from([name for name, n in WEIGHTS.items() for _ in range(n)]).flatmap(STEPS.get),
                      min_size=10, max_size=60)


class Model:
    """The pool as its events say it is, with the checks each decision must pass."""

    def __init__(self, pool):
        self.pool, self.units, self.status = pool, 0, "open"
        self.reserved, self.waiting, self.ever_reserved = {}, [], set()
        self.arrival = {}  # booking id -> when it came, in requests reserved or waitlisted

    def used(self):
        total = Counter()
        for claim in self.reserved.values():
            total.update(cells(self.pool, claim))
        return total

    def fits(self, claim, used):
        return all(used[cell] + n <= self.units for cell, n in cells(self.pool, claim).items())

    def apply(self, events, today):
        waiting_before = [c.booking_id for c in self.waiting]
        promoted = [e.claim.booking_id for e in events if isinstance(e, m.WaitlistPromoted)]
        assert promoted == [b for b in waiting_before if b in promoted], "promoted out of the waiting order"
        for event in events:
            self.apply_one(event)
        self.check(today, taken=[e.claim for e in events if isinstance(e, (m.UnitsReserved, m.WaitlistPromoted))])

    def apply_one(self, event):
        if isinstance(event, m.CapacitySet):
            self.units = event.units
        elif isinstance(event, (m.UnitsReserved, m.WaitlistPromoted)):
            claim = event.claim
            assert claim.booking_id not in self.ever_reserved, "a booking reserved twice"
            if isinstance(event, m.WaitlistPromoted):
                self.waiting.remove(claim)
            self.arrival.setdefault(claim.booking_id, len(self.arrival))
            self.ever_reserved.add(claim.booking_id)
            self.reserved[claim.booking_id] = claim
        elif isinstance(event, m.RequestWaitlisted):
            self.waiting.append(event.claim)
            self.arrival[event.claim.booking_id] = len(self.arrival)
        elif isinstance(event, (m.UnitsReleased, m.ReservationWithdrawn)):
            del self.reserved[event.booking_id]
        elif isinstance(event, m.WaitlistLeft):
            self.waiting = [c for c in self.waiting if c.booking_id != event.booking_id]
        elif isinstance(event, (m.CapacitySuspended, m.CapacityReopened)):
            self.status = "suspended" if isinstance(event, m.CapacitySuspended) else "open"

    def check(self, today, taken):
        used = self.used()
        for cell, n in used.items():
            assert day_of(cell) < today or n <= self.units, f"{n} reserved on {cell}, capacity {self.units}"
        if self.pool != "carers":
            for cell in used:
                holders = [c.elder_id for c in self.reserved.values() if cell in cells(self.pool, c)]
                assert len(holders) == len(set(holders)), f"an elder holds {cell} twice"
        if self.status != "open":
            return
        live = [c for c in self.waiting if c.when.day >= today]
        for claim in live:
            assert not self.fits(claim, used), f"{claim.booking_id} fits but still waits"
        for claim in taken:  # of two requests for the same thing, the earlier is served first
            earlier = [c.booking_id for c in live if cells(self.pool, c) == cells(self.pool, claim)
                       and self.arrival[c.booking_id] < self.arrival[claim.booking_id]]
            assert not earlier, f"{claim.booking_id} served while {earlier}, which came first, still wait"


@pytest.mark.parametrize("pool", sorted(SCENARIOS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
def test_capacity_is_never_exceeded_and_the_waiting_list_is_served_in_order(pool, ops):
    services, unit_choices = SCENARIOS[pool]
    slots = {"slots": SLOTS, "slot_minutes": 45} if pool == "bathing" else {}
    at, bookings, model = START, [], Model(pool)
    state, events = capacity.run([], m.SetCapacity("f1", pool, unit_choices[1], at, **slots))
    model.apply(events, FIRST_DAY)
    for op in ops:
        if op[0] == "tick":
            at += timedelta(days=1)
            continue
        command = _command(op, pool, services, unit_choices, slots, at, bookings)
        try:
            events = capacity.decide(state, command) if command else []
        except Rejected:
            continue
        state = capacity.fold(events, state)
        model.apply(events, at.astimezone(LOCAL).date())
        assert [c.booking_id for c in state.reserved] == list(model.reserved)
        assert state.waiting == tuple(model.waiting)


def _command(op, pool, services, unit_choices, slots, at, bookings):
    if op[0] == "reserve":
        _, elder, day, length, slot, minutes, service, wait = op
        booking_id = f"b{len(bookings)}"
        when = when_of(pool, FIRST_DAY + timedelta(days=day), length, slot, minutes)
        bookings.append(m.Reserve("f1", booking_id, f"e{elder}", services[service % len(services)], when, at,
                                  wait=wait))
        return bookings[-1]
    if op[0] in ("retry", "release"):
        if not bookings:
            return None
        earlier = bookings[op[1] % len(bookings)]
        return replace(earlier, at=at) if op[0] == "retry" else m.Release("f1", earlier.service, earlier.booking_id, at)
    if op[0] == "set":
        return m.SetCapacity("f1", pool, unit_choices[op[1]], at, **slots)
    if op[0] == "suspend":
        return m.SuspendCapacity("f1", pool, "inspection", at)
    return m.ReopenCapacity("f1", pool, at)
