"""Deduplication (去重): bursts and repeats of one device's alarm collapse into one alert.

A button pressed five times, a smoke detector that keeps sounding, a belt reporting the same high
heart rate every minute: each is one emergency, so one alert. Signals belong together when they
have the same key — the device and the alarm kind — and:

- while the key's alert is not resolved, every further signal is a repeat, counted on that alert
  (so a device and kind never have two open alerts, however long the alert stays open);
- once it is resolved, a signal within the window after the last counted one is the tail of the
  same burst (the detector still sounding as the fire is put out) and is ignored; the tail does not
  stretch the window, so an alarm that keeps going raises again one window later;
- a signal at the very instant of the last counted one is the same signal delivered twice (a
  gateway's retry) and is ignored;
- any other signal raises a new alert.

The service keeps one ``Burst`` per key, a read model fed by the alert events (rebuilt by replay).
Windows are measured on the device's clock, which is consistent with itself if not with ours.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from services.alerts.domain.ids import derived_id

DEFAULT_WINDOW = timedelta(minutes=5)
RAISE, REPEAT, IGNORE = "raise", "repeat", "ignore"


@dataclass(frozen=True)
class Burst:
    """The latest alert of one device and alarm kind, and the time of its last counted signal."""
    alert_id: str
    last_at: datetime
    open: bool = True


def alert_id_for(device_id: str, alarm_kind: str, at: datetime) -> str:
    """The id of the alert a burst raises, derived from its first signal: a re-delivery gives the same."""
    return derived_id("alert", device_id, alarm_kind, at.isoformat())


def take(burst: Burst | None, device_id: str, alarm_kind: str, at: datetime,
         window: timedelta = DEFAULT_WINDOW) -> tuple[Burst, str]:
    """What a signal of this key at ``at`` does (RAISE, REPEAT or IGNORE), and the burst after it."""
    if burst is not None and at == burst.last_at:
        return burst, IGNORE
    if burst is not None and burst.open:
        return replace(burst, last_at=max(burst.last_at, at)), REPEAT
    if burst is not None and at - burst.last_at <= window:
        return burst, IGNORE
    return Burst(alert_id_for(device_id, alarm_kind, at), at), RAISE


def resolved(burst: Burst) -> Burst:
    """The burst once its alert is resolved: from now on only its tail is ignored."""
    return replace(burst, open=False)
