"""Escalation (逐级上报): an alert not acknowledged in time at its tier goes up to the parent tier.

The rule: each severity has a time limit to acknowledge (configurable; defaults below). An alert
raised at ``raised_at`` at its home tier is overdue there at ``raised_at + limit``, escalates one tier
up at that moment, is overdue there one limit later, and so on up to the city, which is the top.
An acknowledgment at any tier stops it; the lower tiers learn of each escalation through the
``AlertEscalated`` event, which names the tier it left.

Working when a node is cut off. Every node above an alert's home holds a copy of its events
(synced up), and runs this same pure rule with the limit the alert carries from its raising
(``AlertRaised.ack_within``, so a node's own configuration cannot disagree). So the town can decide
"overdue, not acknowledged as far as I know" for a village whose link is down, and the district for
a town that is down. ``due(alert, now, node_tier)`` lets a node decide every escalation up to its own
parent: its own overdue alerts, and — on behalf of the tiers below that it may not hear from — those
that should already have reached it. It decides nothing higher, because acknowledgments above its
parent may not have reached it yet (they come down the links later, and not while a link is down),
and acting on a stale "not acknowledged" there would escalate what has been handled.

How duplicates are avoided. Two nodes deciding the same escalation decide the same event:
- its id is derived: ``escalation_id(alert_id, to_tier)``, the same on every node;
- its time is the moment the limit ran out (``deadline``), not when a node noticed, so the events
  are equal field for field, whenever and wherever they are decided;
- the alert's ``evolve`` ignores an escalation to a tier already reached, and keeps the highest
  tier whatever the order of arrival, so a second copy changes nothing;
- each node writes its own decisions to its own stream of the alert (``writer_stream``), so copies
  never collide on a stream version when synced; a node folds the alert from all ``streams``.
Notifications and counts key on the escalation id, so the town is told once.

What cannot be done: the town cannot escalate an SOS whose ``AlertRaised`` never reached it (the
village was cut off before it went up). The village still decides that escalation itself and its
notifier tells the town's people by whatever channel still works; the events reach the town when
the link returns, already overdue, and the tiers above it escalate at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping

from shared.aggregate import Rejected
from services.alerts.domain.ids import derived_id
from services.alerts.domain.tiers import TIERS, parent, rank

DEFAULT_LIMITS = {"critical": timedelta(minutes=2), "high": timedelta(minutes=10),
                  "medium": timedelta(minutes=30), "low": timedelta(hours=2)}


@dataclass(frozen=True)
class EscalateAlert:
    alert_id: str
    to_tier: str
    at: datetime  # when the node decided; the event carries the deadline instead


def ack_within(severity: str, limits: Mapping[str, timedelta] = DEFAULT_LIMITS) -> timedelta:
    """The time limit to acknowledge an alert of ``severity``: configured, or the default."""
    if severity not in DEFAULT_LIMITS:
        raise Rejected(f"one of {', '.join(DEFAULT_LIMITS)}", field="severity")
    limit = limits.get(severity, DEFAULT_LIMITS[severity])
    if limit <= timedelta(0):
        raise Rejected("a time limit must be positive", field=f"limits.{severity}")
    return limit


def escalation_id(alert_id: str, to_tier: str) -> str:
    return derived_id("escalation", alert_id, to_tier)


def deadline(raised_at: datetime, limit: timedelta, home_tier: str, tier: str) -> datetime:
    """When an alert still unacknowledged at ``tier`` must leave it for the tier above."""
    return raised_at + limit * (rank(tier) - rank(home_tier) + 1)


def due(alert, now: datetime, node_tier: str) -> list[EscalateAlert]:
    """The escalations a node at ``node_tier`` should decide at ``now``, lowest first (see above)."""
    if alert.status not in ("raised", "escalated"):
        return []
    raised, reach = alert.raised, parent(node_tier) or node_tier
    commands, tier = [], alert.tier
    while tier != TIERS[-1] and rank(parent(tier)) <= rank(reach) \
            and now >= deadline(raised.at, raised.ack_within, raised.home_tier, tier):
        tier = parent(tier)
        commands.append(EscalateAlert(raised.alert_id, tier, now))
    return commands


def streams(alert_id: str, home_tier: str) -> list[str]:
    """Every stream that may hold events of the alert: its home node's and each tier's above it."""
    return [writer_stream(alert_id, home_tier, tier) for tier in TIERS[rank(home_tier):]]


def writer_stream(alert_id: str, home_tier: str, node_tier: str) -> str:
    """The stream a node at ``node_tier`` appends its decisions about the alert to (one writer each)."""
    return f"alert-{alert_id}" if node_tier == home_tier else f"alert-{alert_id}.{node_tier}"
