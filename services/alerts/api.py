"""The alerts service's HTTP operations on the node's API (``/api/v1/alerts/...``), as data."""
from __future__ import annotations

from shared.http_api import HttpApi, Operation, PageQuerySchema
from services.alerts import bodies as s

_OPERATIONS = [
    Operation("GET", "/alerts", "http_list_alerts", query=s.AlertQuery, response=s.AlertOut, paginated=True,
              summary="Alerts in the caller's area by area, severity and status (default: the open ones)"),
    Operation("GET", "/alerts/{alert_id}", "http_get_alert", response=s.AlertOut, summary="One alert"),
    Operation("POST", "/alerts/{alert_id}/acknowledge", "http_acknowledge", role="operator",
              body=s.AcknowledgeBody, response=s.AlertOut,
              summary="Take the alert on at this node's tier: it escalates no further"),
    Operation("POST", "/alerts/{alert_id}/resolve", "http_resolve", role="operator", body=s.ResolveBody,
              response=s.AlertOut, summary="Close an acknowledged alert with its outcome"),
    Operation("GET", "/elders/{elder_id}/alerts", "http_elder_alerts", query=PageQuerySchema, response=s.AlertOut,
              paginated=True, summary="An elder's alerts, open and closed, newest first"),
    Operation("GET", "/facilities/{facility_id}/alerts", "http_facility_alerts", query=PageQuerySchema,
              response=s.AlertOut, paginated=True, summary="A facility's alerts, open and closed, newest first"),
    Operation("POST", "/signals", "http_signal", role="operator", body=s.SignalBody, response=s.SignalOut,
              summary="A device signal (the JSON a gateway sends on AMQP): raises, repeats or is deduplicated"),
    Operation("POST", "/devices", "http_register_device", role="operator", body=s.RegisterDeviceBody,
              response=s.DeviceOut, status=201, summary="Register a device at an elder's home or a facility"),
    Operation("GET", "/devices/{device_id}", "http_get_device", response=s.DeviceOut, summary="One device"),
]

ALERTS_API = HttpApi("alerts", _OPERATIONS, title="eldernet alerts")
