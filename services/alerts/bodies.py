"""marshmallow schemas of the alerts API: request bodies, queries and answers (api.py uses them)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http_api import PageQuerySchema
from services.alerts.domain.alerts import OUTCOMES, SEVERITIES
from services.alerts.domain.devices import DEVICE_TYPES
from services.alerts.schemas import AREA_CODE, optional_id, record_id

STATUSES = ("raised", "escalated", "acknowledged", "resolved")


# -- bodies -------------------------------------------------------------------------------------
class RegisterDeviceBody(Schema):
    device_id = record_id(required=True)
    device_type = fields.String(required=True, validate=validate.OneOf(tuple(DEVICE_TYPES)))
    area_code = fields.String(required=True, validate=AREA_CODE,
                              metadata={"description": "the elder's home's or the facility's area"})
    elder_id = optional_id(metadata={"description": "the elder whose home it is in, or who wears it"})
    facility_id = optional_id(metadata={"description": "the facility it is installed in"})
    silent_after = fields.TimeDelta(precision="seconds", load_default=None,
                                    metadata={"description": "seconds without a signal before the device counts "
                                                             "as silent (default by type)"})


class SignalBody(Schema):
    """A device signal as a gateway sends it (domain/signals.py); validated by the domain."""

    class Meta:
        unknown = "include"

    device_id = fields.Raw(required=True, metadata={"description": "the id it was registered under"})
    kind = fields.Raw(required=True, metadata={"description": "sos, smoke, fall, vitals or heartbeat"})
    at = fields.Raw(required=True, metadata={"description": "ISO 8601 with a UTC offset (device clock)"})
    readings = fields.Raw(load_default=dict, metadata={"description": "heart_rate, blood_oxygen, "
                                                                      "body_temperature, respiration_rate, "
                                                                      "still_minutes"})


class AcknowledgeBody(Schema):
    by = fields.String(required=True, validate=validate.Length(min=1, max=100),
                       metadata={"description": "who takes the alert on"})


class ResolveBody(AcknowledgeBody):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = fields.String(load_default="", validate=validate.Length(max=500))


# -- queries ------------------------------------------------------------------------------------
class AlertQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE,
                              metadata={"description": "inside the token's area; default: all of it"})
    severity = fields.String(load_default=None, validate=validate.OneOf(SEVERITIES))
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "all", *STATUSES)),
                           metadata={"description": "open (raised or escalated; the default), all, or one status"})


# -- answers ------------------------------------------------------------------------------------
class AlertOut(Schema):
    alert_id = fields.String()
    kind = fields.String()
    severity = fields.String()
    source = fields.String()
    source_ref = fields.String()
    elder_id = fields.String(allow_none=True)
    facility_id = fields.String(allow_none=True)
    area_code = fields.String()
    status = fields.String(metadata={"description": "raised, escalated, acknowledged or resolved"})
    tier = fields.String(metadata={"description": "the tier that must act now (or acted)"})
    home_tier = fields.String()
    reached = fields.String(allow_none=True, metadata={"description": "the highest tier it escalated to"})
    repeats = fields.Integer()
    raised_at = fields.AwareDateTime()
    acked_by = fields.String(allow_none=True)
    acked_tier = fields.String(allow_none=True)
    acked_at = fields.AwareDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)


class DeviceOut(Schema):
    device_id = fields.String()
    device_type = fields.String()
    area_code = fields.String()
    elder_id = fields.String(allow_none=True)
    facility_id = fields.String(allow_none=True)
    silent_after_seconds = fields.Float()
    registered_at = fields.AwareDateTime()
    retired = fields.Boolean()
    silent_since = fields.AwareDateTime(allow_none=True)


class AlarmOut(Schema):
    kind = fields.String()
    severity = fields.String()
    outcome = fields.String(metadata={"description": "raise, repeat or ignore (deduplicated)"})
    alert_id = fields.String()


class SignalOut(Schema):
    device_id = fields.String()
    alarms = fields.List(fields.Nested(AlarmOut))
