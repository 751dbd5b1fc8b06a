"""The alerts service's Prometheus families (docs/alerts.md), created once per process on first use.

Labels are bounded: node, severity (4) and tier (4) — never an alert, elder or device id.
"""
from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

from shared.metrics import families
from services.alerts.domain.alerts import SEVERITIES
from services.alerts.domain.tiers import TIERS

# From seconds to hours: a critical alert's limit is minutes, a low one's hours.
_ACK_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY):
        self.open = Gauge("eldernet_alerts_open", "Alerts not yet acknowledged or resolved, by severity and "
                          "the tier that must act now (counted at each check).",
                          ["node", "severity", "tier"], registry=registry)
        self.ack_seconds = Histogram("eldernet_alert_acknowledge_seconds", "From an alert's raising to its "
                                     "acknowledgment, observed at the node that acknowledged it.",
                                     ["node", "severity"], buckets=_ACK_BUCKETS, registry=registry)
        self.escalations = Counter("eldernet_alert_escalations_total", "Escalations to this node's tier, counted "
                                   "once each at this node (however many nodes decided it), when its notice "
                                   "is told.", ["node", "severity", "to_tier"], registry=registry)
        self.signals = Counter("eldernet_alert_signals_total", "Device signals taken, by what they did: raise, "
                               "repeat, ignore (deduplicated), quiet (no alarm) or refused.",
                               ["node", "outcome"], registry=registry)
        self.notices = Counter("eldernet_alert_notices_total", "Notices told to the notifiers.",
                               ["node", "what"], registry=registry)

    def count_open(self, node: str, counts: dict[tuple[str, str], int]) -> None:
        for severity in SEVERITIES:
            for tier in TIERS:
                self.open.labels(node=node, severity=severity, tier=tier).set(counts.get((severity, tier), 0))


def alert_metrics() -> AlertMetrics:
    return families(AlertMetrics)
