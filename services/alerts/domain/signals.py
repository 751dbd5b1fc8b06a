"""Device signals: what an elder's or a facility's device sends, and which alarms a signal means.

A device gateway sends one JSON object per signal, on AMQP or to the HTTP ingestion endpoint::

    {"device_id": "belt-0042",
     "kind": "vitals",
     "at": "2026-11-23T08:15:00+08:00",
     "readings": {"heart_rate": 132, "still_minutes": 12}}

- ``device_id``: the id the device was registered under (devices.py).
- ``kind``: ``sos`` one-click SOS / emergency call (一键求救 / 紧急呼叫); ``smoke`` smoke alarm (烟感报警);
  ``fall`` a fall seen by the smart monitoring belt (智能监护腰带); ``vitals`` the belt's periodic
  readings; ``heartbeat`` the device saying it is alive.
- ``at``: ISO 8601 with a UTC offset (or ``Z``), the device's own clock.
- ``readings`` (optional): finite non-negative numbers, by name: ``heart_rate`` (beats/min),
  ``blood_oxygen`` (SpO₂ %), ``body_temperature`` (°C), ``respiration_rate`` (breaths/min),
  ``still_minutes`` (minutes the belt has felt no movement).

Any signal, not only a heartbeat, shows that the device is alive.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from shared.aggregate import Rejected

KINDS = ("sos", "smoke", "fall", "vitals", "heartbeat")
READINGS = ("heart_rate", "blood_oxygen", "body_temperature", "respiration_rate", "still_minutes")
# A signal that is an emergency by itself, whatever its readings.
EMERGENCIES = {"sos": "critical", "smoke": "critical", "fall": "critical"}
OUT_OF_RANGE_SEVERITY = "high"
NO_MOVEMENT_SEVERITY = "high"


@dataclass(frozen=True)
class Signal:
    device_id: str
    kind: str
    at: datetime
    readings: tuple = ()  # (name, value) pairs sorted by name, so a signal stays hashable

    def reading(self, name: str) -> int | float | None:
        return dict(self.readings).get(name)


@dataclass(frozen=True)
class Band:
    """The normal range of a reading, both ends included."""
    low: int | float
    high: int | float

    def holds(self, value: int | float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True)
class VitalLimits:
    """When a belt's readings call for help; configurable per elder or area by the service."""
    heart_rate: Band = Band(50, 120)
    blood_oxygen: Band = Band(90, 100)
    body_temperature: Band = Band(35.5, 38.0)
    respiration_rate: Band = Band(10, 30)
    no_movement: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class Alarm:
    """What an alert is about. ``kind`` with the device id is the deduplication key."""
    kind: str  # sos, smoke, fall, <reading>_out_of_range, no_movement, device_silent
    severity: str
    detail: str


def parse_signal(message: Mapping[str, Any]) -> Signal:
    """The signal in a decoded JSON message; Rejected naming the field when it is not one."""
    if not isinstance(message, Mapping):
        raise Rejected("a signal is a JSON object", field="signal")
    device_id = message.get("device_id")
    if not isinstance(device_id, str) or not device_id.strip() or len(device_id) > 64:
        raise Rejected("a device id of 1 to 64 characters", field="device_id")
    kind = message.get("kind")
    if kind not in KINDS:
        raise Rejected(f"one of {', '.join(KINDS)}", field="kind")
    return Signal(device_id.strip(), kind, _parse_time(message.get("at")), _parse_readings(message.get("readings", {})))


def _parse_time(text: Any) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise Rejected("an ISO 8601 time such as 2026-11-23T08:15:00+08:00", field="at") from None
    if at.utcoffset() is None:
        raise Rejected("needs its UTC offset: a device's local time is ambiguous without it", field="at")
    return at.astimezone(timezone.utc)


def _parse_readings(readings: Any) -> tuple:
    if not isinstance(readings, Mapping):
        raise Rejected("an object of readings by name", field="readings")
    for name, value in readings.items():
        # A misspelt name ("hr") must not silently switch a vital-sign alarm off.
        if name not in READINGS:
            raise Rejected(f"unknown reading; known: {', '.join(READINGS)}", field=f"readings.{name}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise Rejected("a finite number, not negative", field=f"readings.{name}")
    return tuple(sorted(readings.items()))


def alarms(signal: Signal, limits: VitalLimits = VitalLimits()) -> tuple[Alarm, ...]:
    """The alarms a signal raises: none for a heartbeat or readings in their normal range."""
    found = []
    if signal.kind in EMERGENCIES:
        found.append(Alarm(signal.kind, EMERGENCIES[signal.kind], f"{signal.kind} from device {signal.device_id}"))
    for name, value in signal.readings:
        band = getattr(limits, name, None)
        if isinstance(band, Band) and not band.holds(value):
            found.append(Alarm(f"{name}_out_of_range", OUT_OF_RANGE_SEVERITY,
                               f"{name} {value} outside {band.low}–{band.high}"))
    still = signal.reading("still_minutes")
    if still is not None and timedelta(minutes=still) >= limits.no_movement:
        found.append(Alarm("no_movement", NO_MOVEMENT_SEVERITY, f"no movement for {still} minutes"))
    return tuple(found)
