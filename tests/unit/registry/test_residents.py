"""A facility's residents follow booking's admissions: a stay admits its elder on check-in and
discharges them when it ends, whatever order the two events arrive in, and an elder with two open
stays at one facility is one resident until the last ends."""
import pytest

from services.registry.occupancy import CHECKED_IN, DELIVERED, Stay, step

STAY = Stay("b1", "f1", "e1")


def run(events, resident_by_another=False, stay=STAY):
    changes = []
    for event_type in events:
        stay, change = step(stay, event_type, resident_by_another)
        if change == "admit":  # as the consumer does when the facility takes the elder in
            stay = Stay(**{**vars(stay), "admitted": True})
        changes.append(change)
    return stay, changes


def test_a_check_in_admits_and_the_delivery_discharges():
    stay, changes = run([CHECKED_IN, DELIVERED])
    assert changes == ["admit", "discharge"]
    assert (stay.checked_in, stay.admitted, stay.ended) == (True, True, True)


@pytest.mark.parametrize("events", [[CHECKED_IN, CHECKED_IN, DELIVERED, DELIVERED],
                                    [CHECKED_IN, DELIVERED, CHECKED_IN, DELIVERED]])
def test_the_same_event_again_changes_nothing(events):
    assert [c for c in run(events)[1] if c] == ["admit", "discharge"]


def test_a_delivery_that_overtakes_its_check_in_leaves_nobody_resident():
    stay, changes = run([DELIVERED, CHECKED_IN])
    assert changes == [None, None] and not stay.admitted


def test_an_elder_already_resident_by_another_stay_is_not_admitted_twice_nor_discharged_early():
    stay, changes = run([CHECKED_IN, DELIVERED], resident_by_another=True)
    assert changes == [None, None]
    assert stay.admitted  # this stay counts them too, so the other's end does not discharge them


def test_a_stay_the_facility_did_not_admit_discharges_nobody():
    stay, change = step(STAY, CHECKED_IN, False)
    assert change == "admit"
    # the facility was suspended and refused the admission: the consumer keeps admitted False
    assert step(stay, DELIVERED, False) == (Stay("b1", "f1", "e1", checked_in=True, ended=True), None)
