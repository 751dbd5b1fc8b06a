"""The alerts service's configuration (``ELDERNET.alerts`` in the node's config file), all optional::

    ELDERNET:
      alerts:
        check_interval: 5            # seconds between two checks of deadlines, silent devices, rules
        limits: {critical: 120}      # seconds to acknowledge, by severity (escalation.DEFAULT_LIMITS)
        dedup_window: 300            # seconds: a resolved alert's tail of signals is ignored this long
        supervision:                 # thresholds per area (domain/thresholds.py), defaults otherwise
          "2104": {away_days: 10}
        notifiers:                   # who is told of new and escalated alerts (default: the log)
          - {kind: log}
          - {kind: webhook, url: "https://duty.example.cn/hook", timeout: 5}

A node with no ``alerts`` section runs with the defaults. A wrong value stops the service at start,
with the field named, rather than at the first alert.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping

from shared.aggregate import Rejected
from shared.config import ConfigError, eldernet_section
from services.alerts.domain.deduplication import DEFAULT_WINDOW
from services.alerts.domain.escalation import DEFAULT_LIMITS, ack_within
from services.alerts.domain.thresholds import Thresholds, check_overrides, thresholds_for

DEFAULT_CHECK_INTERVAL = 5.0
NOTIFIER_KINDS = ("log", "webhook")


@dataclass(frozen=True)
class AlertsSettings:
    check_interval: float = DEFAULT_CHECK_INTERVAL
    limits: Mapping[str, timedelta] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    dedup_window: timedelta = DEFAULT_WINDOW
    supervision: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    notifiers: tuple = ({"kind": "log"},)

    def thresholds(self, area_code: str) -> Thresholds:
        return thresholds_for(area_code, self.supervision)


def settings_of(config: Mapping) -> AlertsSettings:
    """The node's alerts settings; ConfigError naming the field when one is wrong."""
    section = eldernet_section(config).get("alerts") or {}
    if not isinstance(section, Mapping):
        raise ConfigError("alerts: expected a mapping")
    try:
        return AlertsSettings(
            check_interval=_seconds(section.get("check_interval", DEFAULT_CHECK_INTERVAL), "alerts.check_interval"),
            limits=_limits(section.get("limits") or {}),
            dedup_window=timedelta(seconds=_seconds(section.get("dedup_window", DEFAULT_WINDOW.total_seconds()),
                                                    "alerts.dedup_window")),
            supervision=_supervision(section.get("supervision") or {}),
            notifiers=_notifiers(section.get("notifiers", ({"kind": "log"},))))
    except Rejected as error:
        raise ConfigError(f"{error.field if error.field.startswith('alerts.') else 'alerts.' + error.field}: "
                          f"{error.reason}") from None


def _seconds(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise Rejected("a positive number of seconds", field=name)
    return float(value)


def _limits(section: Mapping) -> dict[str, timedelta]:
    limits = dict(DEFAULT_LIMITS)
    for severity, seconds in section.items():
        if severity not in DEFAULT_LIMITS:
            raise Rejected(f"unknown severity; known: {', '.join(DEFAULT_LIMITS)}", field=f"alerts.limits.{severity}")
        limits[severity] = timedelta(seconds=_seconds(seconds, f"alerts.limits.{severity}"))
        ack_within(severity, limits)
    return limits


def _supervision(section: Mapping) -> dict:
    overrides = {str(area): dict(values or {}) for area, values in section.items()}
    check_overrides(overrides)  # names the field as supervision.<area>.<name>
    return overrides


def _notifiers(entries: Any) -> tuple:
    if not isinstance(entries, (list, tuple)):
        raise Rejected("a list of notifiers", field="alerts.notifiers")
    for index, entry in enumerate(entries):
        path = f"alerts.notifiers[{index}]"
        if not isinstance(entry, Mapping) or entry.get("kind") not in NOTIFIER_KINDS:
            raise Rejected(f"a mapping whose kind is one of {', '.join(NOTIFIER_KINDS)}", field=f"{path}.kind")
        if entry["kind"] == "webhook" and not str(entry.get("url", "")).startswith(("http://", "https://")):
            raise Rejected("an http:// or https:// URL", field=f"{path}.url")
    return tuple(dict(entry) for entry in entries)
