"""Devices registered against an elder's home or a facility, and devices that go silent.

A heartbeat is a measurement, not a fact worth an event (thousands an hour): the service keeps
each device's last-heard time beside the store and passes it in. What is recorded is the change
that matters — the device went silent, it was heard again — and a silence raises its own alert,
because a dead SOS button fails exactly when it is needed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Mapping

from shared.aggregate import Decider, Rejected
from services.alerts.domain.alerts import RaiseAlert
from services.alerts.domain.escalation import DEFAULT_LIMITS, ack_within
from services.alerts.domain.signals import Alarm, Signal
from services.alerts.domain.tiers import tier_of_area

# What each type of device can send (一键呼叫器, 紧急呼叫电话, 烟感报警器, 智能监护腰带).
DEVICE_TYPES = {
    "sos_button": ("sos", "heartbeat"),
    "emergency_phone": ("sos", "heartbeat"),
    "smoke_detector": ("smoke", "heartbeat"),
    "monitoring_belt": ("sos", "fall", "vitals", "heartbeat"),
}
# Suggested silence limits: a smoke detector reports rarely to save its battery.
DEFAULT_SILENT_AFTER = {"sos_button": timedelta(minutes=30), "emergency_phone": timedelta(minutes=30),
                        "smoke_detector": timedelta(hours=24), "monitoring_belt": timedelta(minutes=30)}
SILENT_SEVERITY = "medium"


# The event records exactly what the command asked: one field list for both.
@dataclass(frozen=True)
class _Registration:
    device_id: str
    device_type: str
    area_code: str
    elder_id: str | None  # the elder whose home it is in, or who wears it
    facility_id: str | None  # the facility it is installed in
    silent_after: timedelta  # no signal for this long and the device counts as silent
    at: datetime


@dataclass(frozen=True)
class RegisterDevice(_Registration):
    """Put a device in service at an elder's home (or on the elder) or in a facility."""


@dataclass(frozen=True)
class RetireDevice:
    device_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class MarkSilent:
    device_id: str
    last_heard_at: datetime
    at: datetime


@dataclass(frozen=True)
class NoteHeard:
    device_id: str
    at: datetime


@dataclass(frozen=True)
class DeviceRegistered(_Registration):
    """A device was put in service."""


@dataclass(frozen=True)
class DeviceRetired:
    device_id: str
    reason: str


@dataclass(frozen=True)
class DeviceWentSilent:
    device_id: str
    last_heard_at: datetime
    at: datetime  # when the silence limit ran out, not when a node noticed: the same on every node


@dataclass(frozen=True)
class DeviceHeardAgain:
    device_id: str
    at: datetime


@dataclass(frozen=True)
class Device:
    registration: DeviceRegistered | None = None
    retired: bool = False
    silent_since: datetime | None = None  # the last-heard time of the current silence

    @property
    def in_service(self) -> bool:
        return self.registration is not None and not self.retired


def check_signal(device: Device, signal: Signal) -> None:
    """Refuse a signal from an unknown or retired device, or of a kind its type cannot send."""
    if not device.in_service:
        raise Rejected(f"no device {signal.device_id} in service", field="device_id")
    device_type = device.registration.device_type
    if signal.kind not in DEVICE_TYPES[device_type]:
        raise Rejected(f"a {device_type} does not send {signal.kind}", field="kind")


def silence_due(device: Device, last_heard_at: datetime | None, now: datetime) -> MarkSilent | None:
    """The command to mark the device silent, if ``now`` is past its limit and it is not yet marked."""
    if not device.in_service:
        return None
    registration = device.registration
    heard = max(last_heard_at or registration.at, registration.at)
    if device.silent_since is not None and device.silent_since >= heard:
        return None
    return MarkSilent(registration.device_id, heard, now) if now >= heard + registration.silent_after else None


def silence_alarm(event: DeviceWentSilent) -> Alarm:
    since = event.last_heard_at.isoformat()
    return Alarm("device_silent", SILENT_SEVERITY, f"device {event.device_id} silent since {since}")


def raise_for(device: Device, alarm: Alarm, alert_id: str, home_tier: str, at: datetime,
              limits: Mapping[str, timedelta] = DEFAULT_LIMITS) -> RaiseAlert:
    """The alert an alarm of this device raises at its home node (``at``: when the node received it)."""
    where = device.registration
    return RaiseAlert(alert_id, alarm.kind, alarm.severity, "device", where.device_id, where.elder_id,
                      where.facility_id, where.area_code, home_tier, ack_within(alarm.severity, limits), at)


def _register(command: RegisterDevice) -> list:
    if command.device_type not in DEVICE_TYPES:
        raise Rejected(f"one of {', '.join(DEVICE_TYPES)}", field="device_type")
    tier_of_area(command.area_code)
    if not command.elder_id and not command.facility_id:
        raise Rejected("a device is registered against an elder's home or a facility", field="elder_id")
    if command.silent_after <= timedelta(0):
        raise Rejected("must be positive", field="silent_after")
    return [DeviceRegistered(**vars(command))]


def decide(state: Device, command) -> list:
    if isinstance(command, RegisterDevice):
        if state.registration:
            raise Rejected(f"device {command.device_id} is already registered", field="device_id")
        return _register(command)
    if not state.registration:
        raise Rejected(f"no device {command.device_id}", field="device_id")
    if state.retired:
        return []  # a retired device's late timers and signals change nothing
    if isinstance(command, RetireDevice):
        if not command.reason.strip():
            raise Rejected("say why", field="reason")
        return [DeviceRetired(command.device_id, command.reason.strip())]
    if isinstance(command, MarkSilent):
        if state.silent_since is not None and state.silent_since >= command.last_heard_at:
            return []
        silent_after = state.registration.silent_after
        if command.at < command.last_heard_at + silent_after:
            raise Rejected("the device is not silent for its limit yet", field="at")
        return [DeviceWentSilent(command.device_id, command.last_heard_at, command.last_heard_at + silent_after)]
    if isinstance(command, NoteHeard):
        silent = state.silent_since is not None and command.at > state.silent_since
        return [DeviceHeardAgain(command.device_id, command.at)] if silent else []
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Device, event) -> Device:
    if isinstance(event, DeviceRegistered):
        return Device(event)
    if isinstance(event, DeviceRetired):
        return replace(state, retired=True)
    if isinstance(event, DeviceWentSilent):
        return replace(state, silent_since=event.last_heard_at)
    if isinstance(event, DeviceHeardAgain):
        return replace(state, silent_since=None)
    return state


device = Decider(category="device", initial=Device, decide=decide, evolve=evolve)
