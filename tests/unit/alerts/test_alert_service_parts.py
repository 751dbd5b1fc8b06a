"""The alerts service's pure parts, without a broker or a database: which node writes which stream,
the configuration's errors, the read model's row as the domain's state, the event schemas, and the
HTTP API's validation."""
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.config import ConfigError
from shared.events import Event
from shared.http_api import Principal
from services.alerts.api import ALERTS_API
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.escalation import EscalateAlert, due, streams
from services.alerts.domain.supervision import AnomalyFound
from services.alerts.homes import home_area, references, split
from services.alerts.projections import alert_of, row_of
from services.alerts.schemas import alert_events
from services.alerts.settings import settings_of
from tests.unit.alerts.builders import SOS, T0, VILLAGE, minutes, raised, then


# -- homes --------------------------------------------------------------------------------------
def test_each_tiers_stream_of_an_alert_is_written_at_that_tiers_node():
    assert [home_area(s, VILLAGE) for s in streams("al-1", "village")] == [VILLAGE, VILLAGE[:9], VILLAGE[:6],
                                                                           VILLAGE[:4]]
    assert home_area("alert-al-1.town", "210402003") == "210402003"  # an alert homed at the town itself
    assert home_area("device-belt.town", VILLAGE) == VILLAGE  # only alert streams have tier suffixes
    assert split("alert-al-1.district") == ("alert-al-1", "district")
    assert split("alert-al-1") == ("alert-al-1", None)
    assert split("alert-v1.2") == ("alert-v1.2", None)


def test_a_tiers_stream_waits_for_the_alert_itself():
    def event(stream):
        return Event(type="eldernet.alerts.AlertEscalated", source="/t", subject=stream, data={}, stream_id=stream,
                     stream_version=1, origin_node="n", area_code=VILLAGE)
    assert references(event("alert-al-1.town")) == ("alert-al-1",)
    assert references(event("alert-al-1")) == ()


# -- settings -----------------------------------------------------------------------------------
def config(**alerts):
    return {"ELDERNET": {"alerts": alerts}}


def test_no_alerts_section_means_the_defaults():
    settings = settings_of({"ELDERNET": {}})
    assert settings.check_interval == 5 and settings.limits["critical"] == minutes(2)
    assert settings.notifiers == ({"kind": "log"},)
    assert settings.thresholds("210402").undelivered_grace_days == 1


def test_configured_limits_windows_and_thresholds():
    settings = settings_of(config(limits={"critical": 30}, dedup_window=60,
                                  supervision={"2104": {"away_days": 10}, "210402": {"away_days": 12}}))
    assert settings.limits["critical"] == timedelta(seconds=30) and settings.limits["high"] == minutes(10)
    assert settings.dedup_window == timedelta(seconds=60)
    assert settings.thresholds("210402003").away_days == 12 and settings.thresholds("210403").away_days == 10


@pytest.mark.parametrize("alerts, field", [
    ({"check_interval": 0}, "alerts.check_interval"),
    ({"limits": {"urgent": 5}}, "alerts.limits.urgent"),
    ({"limits": {"critical": "soon"}}, "alerts.limits.critical"),
    ({"supervision": {"2104": {"away_dayz": 3}}}, "alerts.supervision.2104.away_dayz"),
    ({"supervision": {"21": {"away_days": 3}}}, "alerts.supervision.21"),
    ({"notifiers": [{"kind": "sms"}]}, "alerts.notifiers[0].kind"),
    ({"notifiers": [{"kind": "webhook", "url": "ftp://x"}]}, "alerts.notifiers[0].url"),
])
def test_a_wrong_setting_stops_the_service_naming_the_field(alerts, field):
    with pytest.raises(ConfigError) as error:
        settings_of(config(**alerts))
    assert str(error.value).startswith(field + ":"), str(error.value)


# -- the read model's row is the domain's state ---------------------------------------------------
DECISIONS = [
    EscalateAlert("al-1", "town", T0 + minutes(2)),
    EscalateAlert("al-1", "district", T0 + minutes(4)),
    a.RecordRepeat("al-1", T0 + minutes(1)),
    a.AcknowledgeAlert("al-1", "街道 张", "town", T0 + minutes(3)),
    a.ResolveAlert("al-1", "街道 张", "town", "false_alarm", "pressed by the cat", T0 + minutes(9)),
]


@given(st.lists(st.sampled_from(DECISIONS), max_size=6))
def test_a_row_holds_exactly_the_alerts_state(commands):
    history = raised()
    for command in commands:
        try:
            history = then(history, command)
        except Exception:  # a refused step: the history stays as it was
            continue
    state = a.alert.fold(history)
    assert alert_of({**row_of("al-1", state), "alert_id": "al-1"}) == state


def test_no_row_is_the_initial_state():
    assert alert_of(None) == a.Alert()


# -- event schemas ------------------------------------------------------------------------------
SAMPLES = [
    *raised(),
    a.AlertRepeated("al-1", T0),
    *then(raised(), EscalateAlert("al-1", "town", T0 + minutes(2)))[1:],
    a.AlertAcknowledged("al-1", "李", "village", T0),
    a.AlertResolved("al-1", "李", "village", "assisted", "", T0),
    d.DeviceRegistered("btn-1", "sos_button", VILLAGE, "el-1", None, minutes(30), T0),
    d.DeviceRetired("btn-1", "battery dead"),
    d.DeviceWentSilent("btn-1", T0, T0 + minutes(30)),
    d.DeviceHeardAgain("btn-1", T0),
    AnomalyFound("f-1", "booking_not_delivered", "booking:b-1", "2026-11-20", "210402003", "el-1", "fac-1",
                 "medium", "confirmed, not delivered", T0),
]


@pytest.mark.parametrize("domain_event", SAMPLES, ids=lambda e: type(e).__name__)
def test_every_event_survives_its_schema(domain_event):
    registry = alert_events()
    type_, data, version = registry.serialize(domain_event)
    event = Event(type=type_, source="/t", subject="s", data=data, stream_id="s", stream_version=1,
                  origin_node="n", area_code=VILLAGE, schema_version=version)
    assert registry.to_domain(registry.validate(event)) == domain_event


def test_a_critical_alert_carries_its_limit_in_whole_seconds():
    [event] = raised()
    assert alert_events().serialize(event)[1]["ack_within"] == 120


# -- the HTTP API -------------------------------------------------------------------------------
class Unused:
    def __getattr__(self, name):
        raise AssertionError(f"{name} must not be called for a request that fails validation")


def request(method, path, body=None, query=None, role="operator"):
    return {"method": method, "path": path, "query": query or {}, "body": body,
            "principal": Principal("t", "210402", role).to_dict()}


def test_the_api_names_the_field_that_is_wrong():
    answer = ALERTS_API.dispatch(Unused(), request("GET", "/alerts", query={"severity": "urgent"}))
    assert answer["status"] == 400 and list(answer["body"]["error"]["fields"]) == ["query.severity"]
    answer = ALERTS_API.dispatch(Unused(), request("POST", "/alerts/al-1/resolve", {"by": "李", "outcome": "fixed"}))
    assert answer["status"] == 400 and list(answer["body"]["error"]["fields"]) == ["body.outcome"]
    answer = ALERTS_API.dispatch(Unused(), request("POST", "/devices", {"device_id": "d", "device_type": "pager",
                                                                        "area_code": VILLAGE}))
    assert list(answer["body"]["error"]["fields"]) == ["body.device_type"]


def test_a_viewer_may_read_but_not_acknowledge():
    answer = ALERTS_API.dispatch(Unused(), request("POST", "/alerts/al-1/acknowledge", {"by": "李"}, role="viewer"))
    assert answer["status"] == 403


def test_a_node_escalating_decides_in_its_own_time():
    """What the timer relies on: due() at a later check still decides the same deadline's event."""
    [command] = due(a.alert.fold(raised()), T0 + minutes(3), "village")
    [event] = a.alert.run(raised(), command)[1]
    assert (event.to_tier, event.at) == ("town", T0 + SOS.ack_within)
