"""What the registry says about a facility, whatever the order its events arrive in, and the capacity
commands that bring each pool to it."""
import itertools
from datetime import datetime, time, timezone

import pytest

from services.booking.domain import capacity_messages as m
from services.booking.domain.capacity import Pool, capacity
from services.booking.domain.facility_feed import FacilityFacts, commands_for, learn, pool_units

NOW = datetime(2026, 11, 23, 1, tzinfo=timezone.utc)
HISTORY = [  # one facility's registry events: (kind, version, payload)
    ("FacilityRegistered", 1, {"capacity": {"general_beds": 10, "nursing_beds": 20, "day_places": 0}}),
    ("FacilitySuspended", 2, {"reason": "fire inspection"}),
    ("FacilityCapacityChanged", 3, {"capacity": {"general_beds": 12, "nursing_beds": 20, "canteen_seats": 40}}),
    ("FacilityRated", 4, {"star_rating": 3}),
    ("FacilityReopened", 5, {}),
]


def facts_after(events):
    facts = FacilityFacts("f1", "210402003")
    for kind, version, data in events:
        facts = learn(facts, kind, version, data)
    return facts


def test_the_registrys_capacity_feeds_three_pools():
    assert pool_units({"general_beds": 10, "nursing_beds": 20, "day_places": 30, "canteen_seats": 40,
                       "floor_area_m2": 600}) == {"beds": 30, "day_care": 30, "meals": 40}


@pytest.mark.parametrize("order", list(itertools.permutations(HISTORY)),
                         ids=lambda order: "-".join(str(version) for _, version, _ in order))
def test_the_newest_version_wins_whatever_the_order_of_arrival(order):
    facts = facts_after(order)
    assert facts.units == {"beds": 32, "day_care": 0, "meals": 40} and facts.status == "open"
    assert (facts.units_version, facts.status_version) == (3, 5)


def test_a_suspension_that_overtakes_the_registration_still_holds():
    facts = facts_after([HISTORY[1], HISTORY[0]])
    assert (facts.status, facts.reason, facts.units["beds"]) == ("suspended", "fire inspection", 30)
    assert commands_for(facts, "beds", Pool(), NOW) == [
        m.SetCapacity("f1", "beds", 30, NOW), m.SuspendCapacity("f1", "beds", "fire inspection", NOW)]


def apply(pool_state, commands):
    for command in commands:
        pool_state = capacity.fold(capacity.decide(pool_state, command), pool_state)
    return pool_state


def test_pools_are_made_with_units_and_follow_the_status():
    facts = facts_after(HISTORY[:1])
    assert commands_for(facts, "day_care", Pool(), NOW) == []  # no day places: no pool
    beds = apply(Pool(), commands_for(facts, "beds", Pool(), NOW))
    assert (beds.units, beds.status) == (30, "open")
    assert commands_for(facts, "beds", beds, NOW) == []  # agrees already
    suspended = apply(beds, commands_for(facts_after(HISTORY[:2]), "beds", beds, NOW))
    assert suspended.status == "suspended"
    reopened = apply(suspended, commands_for(facts_after(HISTORY), "beds", suspended, NOW))
    assert (reopened.status, reopened.units) == ("open", 32)


def test_a_pool_the_staff_set_follows_the_status_only():
    bathing = apply(Pool(), [m.SetCapacity("f1", "bathing", 2, NOW, slots=(time(10),), slot_minutes=45)])
    facts = facts_after(HISTORY[:2])
    assert commands_for(facts, "bathing", bathing, NOW) == [m.SuspendCapacity("f1", "bathing", "fire inspection", NOW)]


def test_closing_is_final_and_leaves_unmade_pools_alone():
    closed = learn(facts_after(HISTORY[:1]), "FacilityClosed", 6, {"reason": "merged"})
    beds = apply(Pool(), commands_for(facts_after(HISTORY[:1]), "beds", Pool(), NOW))
    assert commands_for(closed, "beds", beds, NOW) == [m.CloseCapacity("f1", "beds", "merged", NOW)]
    assert commands_for(closed, "meals", Pool(), NOW) == []
    done = apply(beds, commands_for(closed, "beds", beds, NOW))
    assert commands_for(facts_after(HISTORY), "beds", done, NOW) == []
