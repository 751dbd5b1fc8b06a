from datetime import datetime, timedelta, timezone

import pytest

from shared.aggregate import Rejected
from services.alerts.domain.signals import Band, Signal, VitalLimits, alarms, parse_signal

MESSAGE = {"device_id": "belt-0042", "kind": "vitals", "at": "2026-11-23T08:15:00+08:00",
           "readings": {"still_minutes": 12, "heart_rate": 132}}


def test_the_documented_message_parses_to_a_signal_in_utc():
    signal = parse_signal(MESSAGE)
    assert signal == Signal("belt-0042", "vitals", datetime(2026, 11, 23, 0, 15, tzinfo=timezone.utc),
                            (("heart_rate", 132), ("still_minutes", 12)))
    assert signal.reading("heart_rate") == 132 and signal.reading("blood_oxygen") is None


def test_readings_are_optional_and_z_means_utc():
    signal = parse_signal({"device_id": "btn-1", "kind": "sos", "at": "2026-11-23T00:15:00Z"})
    assert signal.readings == () and signal.at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("changes,field", [
    ({"device_id": None}, "device_id"),
    ({"device_id": "  "}, "device_id"),
    ({"device_id": "d" * 65}, "device_id"),
    ({"kind": "doorbell"}, "kind"),
    ({"at": None}, "at"),
    ({"at": "yesterday"}, "at"),
    ({"at": "2026-11-23T08:15:00"}, "at"),
    ({"readings": [1, 2]}, "readings"),
    ({"readings": {"hr": 80}}, "readings.hr"),
    ({"readings": {"heart_rate": "80"}}, "readings.heart_rate"),
    ({"readings": {"heart_rate": True}}, "readings.heart_rate"),
    ({"readings": {"heart_rate": -1}}, "readings.heart_rate"),
    ({"readings": {"body_temperature": float("nan")}}, "readings.body_temperature"),
])
def test_a_malformed_message_is_refused_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        parse_signal({**MESSAGE, **changes})
    assert error.value.field == field


def test_a_message_that_is_not_an_object_is_refused():
    with pytest.raises(Rejected) as error:
        parse_signal(["belt-0042", "sos"])
    assert error.value.field == "signal"


def signal(kind="vitals", **readings) -> Signal:
    return Signal("belt-1", kind, datetime(2026, 11, 23, tzinfo=timezone.utc), tuple(sorted(readings.items())))


@pytest.mark.parametrize("kind", ["sos", "smoke", "fall"])
def test_an_emergency_is_critical_by_itself(kind):
    assert [(x.kind, x.severity) for x in alarms(signal(kind))] == [(kind, "critical")]


def test_a_heartbeat_and_normal_readings_raise_nothing():
    assert alarms(signal("heartbeat")) == ()
    assert alarms(signal(heart_rate=72, blood_oxygen=97, body_temperature=36.6, respiration_rate=16,
                         still_minutes=5)) == ()


@pytest.mark.parametrize("name,inside,outside", [
    ("heart_rate", (50, 120), (49, 121)),
    ("blood_oxygen", (90, 100), (89,)),
    ("body_temperature", (35.5, 38.0), (35.4, 38.1)),
    ("respiration_rate", (10, 30), (9, 31)),
])
def test_readings_alarm_just_outside_their_band_not_at_its_ends(name, inside, outside):
    for value in inside:
        assert alarms(signal(**{name: value})) == ()
    for value in outside:
        [alarm] = alarms(signal(**{name: value}))
        assert (alarm.kind, alarm.severity) == (f"{name}_out_of_range", "high")


def test_no_movement_alarms_from_its_configured_time():
    assert alarms(signal(still_minutes=119)) == ()
    assert [x.kind for x in alarms(signal(still_minutes=120))] == ["no_movement"]
    night_watch = VitalLimits(no_movement=timedelta(minutes=30), heart_rate=Band(40, 140))
    assert [x.kind for x in alarms(signal(still_minutes=30, heart_rate=130), night_watch)] == ["no_movement"]


def test_a_fall_with_a_racing_heart_is_two_alarms():
    assert [x.kind for x in alarms(signal("fall", heart_rate=150))] == ["fall", "heart_rate_out_of_range"]
