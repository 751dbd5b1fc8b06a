from dataclasses import replace
from datetime import datetime, timezone

import pytest

from shared.aggregate import Rejected
from services.registry.domain import facilities as f

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)
HOME = f.RegisterFacility("f1", "nursing_home", "新抚区敬老院", "210402003", "永安路 1 号", "public", "区民政局",
                          "nursing", f.Capacity(general_beds=40, nursing_beds=60), ("full_time_care", "meals"), 3, AT)


def registered(command=HOME):
    return f.facility.run([], command)[1]


def test_registration_records_everything():
    [event] = registered()
    assert event.capacity.beds == 100 and event.kind == "nursing_home" and event.star_rating == 3


@pytest.mark.parametrize("changes,field", [
    ({"kind": "spa"}, "kind"),
    ({"ownership": "mine"}, "ownership"),
    ({"capacity": f.Capacity()}, "capacity.general_beds"),
    ({"kind": "canteen", "care_type": None, "capacity": f.Capacity(floor_area_m2=100)}, "capacity.canteen_seats"),
    ({"kind": "day_care_centre", "care_type": None}, "capacity.day_places"),
    ({"kind": "home_care_bed", "care_type": None}, "capacity.general_beds"),
    ({"kind": "canteen", "capacity": f.Capacity(canteen_seats=40)}, "care_type"),
    ({"services": ("meals", "karaoke")}, "services"),
    ({"star_rating": 6}, "star_rating"),
    ({"capacity": f.Capacity(general_beds=-1, nursing_beds=5)}, "capacity.general_beds"),
])
def test_invalid_registrations_are_rejected_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        registered(replace(HOME, **changes))
    assert error.value.field == field


def test_lifecycle_open_suspended_open_closed():
    history = registered()
    state, events = f.facility.run(history, f.SuspendFacility("f1", "fire inspection", AT))
    assert state.status == "suspended"
    history += events
    with pytest.raises(Rejected) as error:
        f.facility.run(history, f.RecordAdmission("f1", "e1", AT))
    assert "suspended" in error.value.reason
    state, events = f.facility.run(history, f.ReopenFacility("f1", AT))
    history += events
    state, events = f.facility.run(history, f.CloseFacility("f1", "merged", AT))
    history += events
    assert state.status == "closed"
    with pytest.raises(Rejected):
        f.facility.run(history, f.ReopenFacility("f1", AT))


def test_a_reason_is_required_to_suspend_or_close():
    with pytest.raises(Rejected) as error:
        f.facility.run(registered(), f.SuspendFacility("f1", "  ", AT))
    assert error.value.field == "reason"


def test_occupancy_follows_admissions_and_discharges_once_each():
    history = registered()
    for elder in ("e1", "e2"):
        history += f.facility.run(history, f.RecordAdmission("f1", elder, AT))[1]
    assert f.facility.run(history, f.RecordAdmission("f1", "e1", AT))[1] == []  # a repeat changes nothing
    history += f.facility.run(history, f.RecordDischarge("f1", "e1", AT))[1]
    assert f.facility.fold(history).residents == {"e2"}
    with pytest.raises(Rejected) as error:
        f.facility.run(history, f.RecordDischarge("f1", "e1", AT))
    assert error.value.field == "elder_id"


def test_commands_for_an_unknown_facility_are_rejected():
    with pytest.raises(Rejected) as error:
        f.facility.run([], f.RateFacility("nope", 3, AT))
    assert error.value.field == "facility_id"


def test_a_facility_in_the_split_off_part_of_an_area_moves_there_once():
    history = registered()
    state, events = f.facility.run(history, f.MoveFacility("f1", "210402003001", AT))
    assert events == [f.FacilityMoved("f1", "210402003", "210402003001")] and state.area_code == "210402003001"
    state, again = f.facility.run(history + events, f.MoveFacility("f1", "210402003001", AT))
    assert again == [] and state.area_code == "210402003001"  # already there: nothing recorded


def test_a_closed_facility_does_not_move():
    history = registered()
    history += f.facility.run(history, f.CloseFacility("f1", "merged", AT))[1]
    with pytest.raises(Rejected, match="closed"):
        f.facility.run(history, f.MoveFacility("f1", "210402003001", AT))
