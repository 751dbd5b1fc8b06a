from dataclasses import replace

import pytest

from shared.aggregate import Rejected
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.deduplication import RAISE, take
from services.alerts.domain.signals import Alarm, Signal
from tests.unit.alerts.builders import T0, VILLAGE, minutes

BUTTON = d.RegisterDevice("btn-1", "sos_button", VILLAGE, "el-1", None, minutes(30), T0)


def registered(command=BUTTON) -> list:
    return d.device.run([], command)[1]


def test_a_device_is_registered_against_a_home_or_a_facility():
    [event] = registered()
    assert (event.device_type, event.elder_id, event.area_code) == ("sos_button", "el-1", VILLAGE)
    state = d.device.fold(registered(replace(BUTTON, elder_id=None, facility_id="f-1")))
    assert state.registration.facility_id == "f-1" and state.in_service


@pytest.mark.parametrize("changes,field", [
    ({"device_type": "toaster"}, "device_type"),
    ({"area_code": "2104020030"}, "area_code"),
    ({"elder_id": None}, "elder_id"),
    ({"silent_after": minutes(0)}, "silent_after"),
])
def test_invalid_registrations_are_refused_naming_the_field(changes, field):
    with pytest.raises(Rejected) as error:
        registered(replace(BUTTON, **changes))
    assert error.value.field == field


def test_a_device_is_registered_once():
    with pytest.raises(Rejected) as error:
        d.device.run(registered(), BUTTON)
    assert error.value.field == "device_id"


def test_signals_come_only_from_devices_in_service_and_of_kinds_they_send():
    state = d.device.fold(registered())
    d.check_signal(state, Signal("btn-1", "sos", T0))
    with pytest.raises(Rejected) as error:
        d.check_signal(state, Signal("btn-1", "smoke", T0))
    assert error.value.field == "kind"
    for device in (d.Device(), d.device.fold(registered() + [d.DeviceRetired("btn-1", "lost")])):
        with pytest.raises(Rejected) as error:
            d.check_signal(device, Signal("btn-1", "sos", T0))
        assert error.value.field == "device_id"


def test_a_device_is_silent_from_its_limit_after_it_was_last_heard():
    state = d.device.fold(registered())
    assert d.silence_due(state, None, T0 + minutes(29.9)) is None
    assert d.silence_due(state, None, T0 + minutes(30)) == d.MarkSilent("btn-1", T0, T0 + minutes(30))
    heard = T0 + minutes(20)
    assert d.silence_due(state, heard, T0 + minutes(49)) is None
    assert d.silence_due(state, heard, T0 + minutes(50)) is not None


def test_the_silence_is_dated_when_the_limit_ran_out_and_marked_once():
    history = registered()
    late_check = d.silence_due(d.device.fold(history), None, T0 + minutes(95))
    [event] = d.device.run(history, late_check)[1]
    assert event == d.DeviceWentSilent("btn-1", T0, T0 + minutes(30))
    history.append(event)
    assert d.silence_due(d.device.fold(history), None, T0 + minutes(200)) is None
    assert d.device.run(history, late_check)[1] == []


def test_heard_again_ends_the_silence_and_a_new_silence_is_marked_again():
    history = registered() + [d.DeviceWentSilent("btn-1", T0, T0 + minutes(30))]
    assert d.device.run(history, d.NoteHeard("btn-1", T0 - minutes(1)))[1] == []  # a stale signal
    state, events = d.device.run(history, d.NoteHeard("btn-1", T0 + minutes(40)))
    assert events == [d.DeviceHeardAgain("btn-1", T0 + minutes(40))] and state.silent_since is None
    assert d.silence_due(state, T0 + minutes(40), T0 + minutes(70)).last_heard_at == T0 + minutes(40)
    assert d.device.run(registered(), d.NoteHeard("btn-1", T0))[1] == []  # not silent: nothing to say


def test_a_device_cannot_be_marked_silent_early():
    with pytest.raises(Rejected) as error:
        d.device.run(registered(), d.MarkSilent("btn-1", T0, T0 + minutes(29)))
    assert error.value.field == "at"


def test_a_retired_device_is_never_silent():
    history = registered() + d.device.run(registered(), d.RetireDevice("btn-1", "elder moved away", T0))[1]
    state = d.device.fold(history)
    assert d.silence_due(state, None, T0 + minutes(600)) is None
    assert d.device.run(history, d.MarkSilent("btn-1", T0, T0 + minutes(600)))[1] == []
    with pytest.raises(Rejected) as error:
        d.device.run(registered(), d.RetireDevice("btn-1", " ", T0))
    assert error.value.field == "reason"


def test_a_silent_device_raises_its_own_alert():
    state = d.device.fold(registered())
    [silent] = d.device.run(registered(), d.silence_due(state, None, T0 + minutes(31)))[1]
    alarm = d.silence_alarm(silent)
    burst, action = take(None, "btn-1", alarm.kind, silent.at)
    assert action == RAISE
    [event] = a.alert.run([], d.raise_for(state, alarm, burst.alert_id, "village", T0 + minutes(31)))[1]
    assert (event.kind, event.severity, event.source, event.source_ref) == \
           ("device_silent", "medium", "device", "btn-1")
    assert (event.elder_id, event.area_code, event.ack_within) == ("el-1", VILLAGE, minutes(30))


def test_an_alarm_raises_an_alert_with_its_severity_limit():
    state = d.device.fold(registered())
    command = d.raise_for(state, Alarm("sos", "critical", "sos"), "al-9", "town", T0, {"critical": minutes(1)})
    assert (command.home_tier, command.ack_within, command.facility_id) == ("town", minutes(1), None)
