"""marshmallow schemas of the alerts service's events: what subscribers receive (docs/alerts.md).

Streams: ``alert-<id>`` (written at the alert's home node) and ``alert-<id>.<tier>`` (what a node
above it decided about it: escalations on behalf of a tier cut off, acknowledgments, resolutions;
domain/escalation.py); ``device-<id>``; ``finding-<id>`` (a supervision rule's finding).
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import EventRegistry, Makes
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.supervision import AnomalyFound
from services.alerts.domain.tiers import TIERS

PREFIX = "eldernet.alerts."
AREA_CODE = validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$", error="a 4, 6, 9 or 12-digit area code")


def record_id(**kwargs):
    """An elder's, facility's or device's id (up to 64 characters, as the registry allows)."""
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


def optional_id(**kwargs):
    return record_id(allow_none=True, load_default=None, **kwargs)


def tier(**kwargs):
    return fields.String(validate=validate.OneOf(TIERS), **kwargs)


def text(**kwargs):
    return fields.String(validate=validate.Length(max=500), **kwargs)


SECONDS = {"description": "seconds"}


# -- alert-<id>[.<tier>] --------------------------------------------------------------------------
class AlertRaisedSchema(Makes):
    make = a.AlertRaised
    alert_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata={"description": "sos, smoke, fall, <reading>_out_of_range, no_movement, "
                                                  "device_silent, or a supervision rule"})
    severity = fields.String(required=True, validate=validate.OneOf(a.SEVERITIES))
    source = fields.String(required=True, validate=validate.OneOf(a.SOURCES))
    source_ref = fields.String(required=True, validate=validate.Length(min=1, max=64),
                               metadata={"description": "the device id, or the finding id"})
    elder_id = optional_id()
    facility_id = optional_id()
    area_code = fields.String(required=True, validate=AREA_CODE)
    home_tier = tier(required=True)
    ack_within = fields.TimeDelta(required=True, precision="seconds", metadata=SECONDS)
    at = fields.AwareDateTime(required=True)


class AlertRepeatedSchema(Makes):
    make = a.AlertRepeated
    alert_id = fields.String(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "the repeated signal's time (device clock)"})


class AlertEscalatedSchema(Makes):
    make = a.AlertEscalated
    alert_id = fields.String(required=True)
    escalation_id = fields.String(required=True, metadata={"description": "the same whichever node decided it"})
    from_tier = tier(required=True)
    to_tier = tier(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    severity = fields.String(required=True, validate=validate.OneOf(a.SEVERITIES))
    at = fields.AwareDateTime(required=True, metadata={"description": "the deadline that passed"})


class AlertAcknowledgedSchema(Makes):
    make = a.AlertAcknowledged
    alert_id = fields.String(required=True)
    by = fields.String(required=True, validate=validate.Length(min=1, max=100))
    tier = tier(required=True)
    at = fields.AwareDateTime(required=True)


class AlertResolvedSchema(AlertAcknowledgedSchema):
    make = a.AlertResolved
    outcome = fields.String(required=True, validate=validate.OneOf(a.OUTCOMES))
    note = text(load_default="")


# -- device-<id> ----------------------------------------------------------------------------------
class DeviceRegisteredSchema(Makes):
    make = d.DeviceRegistered
    device_id = record_id(required=True)
    device_type = fields.String(required=True, validate=validate.OneOf(tuple(d.DEVICE_TYPES)))
    area_code = fields.String(required=True, validate=AREA_CODE)
    elder_id = optional_id()
    facility_id = optional_id()
    silent_after = fields.TimeDelta(required=True, precision="seconds", metadata=SECONDS)
    at = fields.AwareDateTime(required=True)


class DeviceRetiredSchema(Makes):
    make = d.DeviceRetired
    device_id = record_id(required=True)
    reason = text(required=True)


class DeviceWentSilentSchema(Makes):
    make = d.DeviceWentSilent
    device_id = record_id(required=True)
    last_heard_at = fields.AwareDateTime(required=True)
    at = fields.AwareDateTime(required=True, metadata={"description": "when its silence limit ran out"})


class DeviceHeardAgainSchema(Makes):
    make = d.DeviceHeardAgain
    device_id = record_id(required=True)
    at = fields.AwareDateTime(required=True)


# -- finding-<id> ---------------------------------------------------------------------------------
class AnomalyFoundSchema(Makes):
    make = AnomalyFound
    finding_id = fields.String(required=True)
    rule = fields.String(required=True)
    subject = fields.String(required=True, metadata={"description": "e.g. facility:<id>, booking:<id>"})
    period = fields.String(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    elder_id = optional_id()
    facility_id = optional_id()
    severity = fields.String(required=True, validate=validate.OneOf(a.SEVERITIES))
    detail = text(required=True)
    at = fields.AwareDateTime(required=True)


EVENT_SCHEMAS = (AlertRaisedSchema, AlertRepeatedSchema, AlertEscalatedSchema, AlertAcknowledgedSchema,
                 AlertResolvedSchema, DeviceRegisteredSchema, DeviceRetiredSchema, DeviceWentSilentSchema,
                 DeviceHeardAgainSchema, AnomalyFoundSchema)


def alert_events() -> EventRegistry:
    """Every event type the alerts service records, by its CloudEvents type."""
    events = EventRegistry()
    for schema in EVENT_SCHEMAS:
        events.register(PREFIX + schema.make.__name__, schema.make, schema())
    return events


def event_type(cls: type) -> str:
    return PREFIX + cls.__name__
