from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from shared.aggregate import Rejected
from services.registry.domain import elders as e, identity

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)
FIRST17 = "210402" + "19450610" + "021"
ID = FIRST17 + identity.check_digit(FIRST17)
REGISTER = e.RegisterElder("el1", ID, "h" * 64, "王秀英", "male", date(1945, 6, 10), "210402003001",
                           ("empty_nest", "living_alone"), False, e.FamilyContact("王强", "13800000000"), AT)


def test_registration_keeps_only_the_masked_id_number():
    [event] = e.elder.run([], REGISTER)[1]
    assert event.id_number_masked == "2104**********" + ID[-4:]
    assert ID not in repr(event)


@pytest.mark.parametrize("changes,field", [
    ({"id_number": ID[:-1] + ("0" if ID[-1] != "0" else "1")}, "id_number"),
    ({"birth_date": date(1945, 6, 11)}, "birth_date"),
    ({"sex": "female"}, "sex"),
    ({"home_area_code": "210402003"}, "home_area_code"),
    ({"household": ("rich",)}, "household"),
    ({"name": " "}, "name"),
])
def test_invalid_records_are_rejected_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        e.elder.run([], replace(REGISTER, **changes))
    assert error.value.field == field


def test_people_under_60_are_not_registered_as_elders():
    first17 = "210402" + "19700101" + "021"
    young = replace(REGISTER, id_number=first17 + identity.check_digit(first17), birth_date=date(1970, 1, 1))
    with pytest.raises(Rejected) as error:
        e.elder.run([], young)
    assert error.value.field == "birth_date"


def assess(**changes):
    command = e.AssessDisability("el1", "partly_disabled", "moderate", date(2026, 1, 5), date(2027, 1, 5), "评估员 李", AT)
    return e.elder.run(e.elder.run([], REGISTER)[1], replace(command, **changes))[1]


def test_an_assessment_is_dated_and_has_a_validity():
    [event] = assess()
    assert (event.level, event.severity, event.valid_until) == ("partly_disabled", "moderate", date(2027, 1, 5))


@pytest.mark.parametrize("changes,field", [
    ({"level": "bedridden"}, "level"), ({"severity": None}, "severity"),
    ({"level": "independent"}, "severity"), ({"valid_until": date(2026, 1, 5)}, "valid_until"),
    ({"assessed_on": date(2026, 12, 1), "valid_until": date(2027, 12, 1)}, "assessed_on"),
])
def test_bad_assessments_are_rejected_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        assess(**changes)
    assert error.value.field == field


def test_age_on_counts_birthdays():
    assert e.age_on(date(1946, 11, 24), date(2026, 11, 23)) == 79
    assert e.age_on(date(1946, 11, 23), date(2026, 11, 23)) == 80


def test_moving_records_where_from():
    history = e.elder.run([], REGISTER)[1]
    [moved] = e.elder.run(history, e.MoveElder("el1", "210402003002", AT))[1]
    assert (moved.from_area_code, moved.home_area_code) == ("210402003001", "210402003002")
