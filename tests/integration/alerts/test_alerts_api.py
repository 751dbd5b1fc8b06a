"""The alerts API through the node's real HTTP gateway (bearer tokens, JSON): devices, signals, open
alerts by area and severity, acknowledge and resolve, an elder's history; errors name the field and a
token sees only its own area. And a device that goes silent raises its own alert."""
from datetime import datetime, timedelta

import pytest
import requests

from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.alerts.service import AlertsService
from tests.integration.alerts.builders import VILLAGE, signal, village_config
from tests.support.nodes import call

API = "/api/v1/alerts"
OTHER_VILLAGE = "210402003002"


@pytest.fixture
def config(web_node_config):
    return village_config(web_node_config, check_interval=3600)


@pytest.fixture
def api(container_factory, config):
    """A town node (no children: it is the home of its villages' records) with the gateway, and tokens
    for one of its villages (operator, viewer) and for the neighbouring village."""
    config["ELDERNET"]["node"] = {"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"}
    containers = {s.name: container_factory(s, config) for s in (NodeService, AlertsService)}
    for container in containers.values():
        container.start()
    tokens = {name: issue_token(config, area, role, label=name)[0] for name, area, role in (
        ("operator", VILLAGE, "operator"), ("viewer", VILLAGE, "viewer"), ("neighbour", OTHER_VILLAGE, "operator"))}

    def request(method, path, who="operator", **kwargs):
        with requests.Session() as session:
            return session.request(method, f"http://{config['WEB_SERVER_ADDRESS']}{API}{path}",
                                   headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=30, **kwargs)
    request.alerts = containers["alerts"]
    return request


def device(device_id, device_type="sos_button", elder_id="elder-7"):
    return {"device_id": device_id, "device_type": device_type, "area_code": VILLAGE, "elder_id": elder_id}


def test_devices_signals_and_the_lifecycle_over_http(api):
    assert api("POST", "/devices", json=device("btn-7")).status_code == 201
    assert api("POST", "/devices", json=device("belt-7", "monitoring_belt")).status_code == 201
    answer = api("POST", "/signals", json=signal("btn-7"))
    assert answer.status_code == 200, answer.text
    [alarm] = answer.json()["alarms"]
    api("POST", "/signals", json=signal("belt-7", kind="vitals", blood_oxygen=85))

    listed = api("GET", "/alerts", params={"area_code": VILLAGE, "severity": "critical"}).json()
    assert [a["alert_id"] for a in listed["items"]] == [alarm["alert_id"]] and listed["total"] == 1
    assert api("GET", "/alerts", who="viewer").json()["total"] == 2
    assert api("GET", "/alerts", who="neighbour").json()["total"] == 0  # not the neighbour's area
    assert api("GET", f"/alerts/{alarm['alert_id']}", who="neighbour").status_code == 404
    assert api("POST", f"/alerts/{alarm['alert_id']}/acknowledge", who="viewer", json={"by": "x"}).status_code == 403

    acked = api("POST", f"/alerts/{alarm['alert_id']}/acknowledge", json={"by": "村医 李"})
    assert acked.status_code == 200 and acked.json()["acked_tier"] == "town"
    again = api("POST", f"/alerts/{alarm['alert_id']}/acknowledge", json={"by": "村医 李"})
    assert again.status_code == 409 and "alert_id" in again.json()["error"]["fields"]
    resolved = api("POST", f"/alerts/{alarm['alert_id']}/resolve", json={"by": "村医 李", "outcome": "assisted"})
    assert resolved.json()["status"] == "resolved"

    history = api("GET", "/elders/elder-7/alerts").json()
    assert sorted(a["status"] for a in history["items"]) == ["raised", "resolved"]
    assert api("GET", "/alerts").json()["total"] == 1  # the belt's, still open
    assert api("GET", "/alerts", params={"status": "all"}).json()["total"] == 2
    assert [a["alert_id"] for a in api("GET", "/alerts", params={"status": "resolved"}).json()["items"]] == \
           [alarm["alert_id"]]


@pytest.mark.parametrize("method, path, body, field", [
    ("POST", "/signals", {"device_id": "btn-7", "kind": "sos", "at": "08:15"}, "body.at"),
    ("POST", "/signals", {"device_id": "btn-7", "kind": "alarm", "at": "2026-11-23T08:15:00+08:00"}, "body.kind"),
    ("POST", "/signals", {"device_id": "btn-7", "kind": "vitals", "at": "2026-11-23T08:15:00+08:00",
                          "readings": {"hr": 80}}, "body.readings.hr"),
    ("POST", "/devices", {"device_id": "x", "device_type": "sos_button", "area_code": "21040"}, "body.area_code"),
    ("GET", "/alerts?severity=urgent", None, "query.severity"),
])
def test_errors_name_the_field(api, method, path, body, field):
    answer = api(method, path, json=body)
    assert answer.status_code == 400 and list(answer.json()["error"]["fields"]) == [field], answer.text


def test_a_device_that_goes_silent_raises_its_own_alert_and_is_heard_again(api):
    registered = api("POST", "/devices", json={**device("btn-8"), "silent_after": 60}).json()
    since = datetime.fromisoformat(registered["registered_at"])
    assert call(api.alerts, "check", (since + timedelta(seconds=59)).isoformat())["silent"] == []
    [alert_id] = call(api.alerts, "check", (since + timedelta(seconds=61)).isoformat())["silent"]
    alert = api("GET", f"/alerts/{alert_id}").json()
    assert (alert["kind"], alert["severity"], alert["source_ref"]) == ("device_silent", "medium", "btn-8")
    assert call(api.alerts, "check", (since + timedelta(seconds=120)).isoformat())["silent"] == []  # once
    api("POST", "/signals", json=signal("btn-8", kind="heartbeat"))
    assert api("GET", "/devices/btn-8").json()["silent_since"] is None
