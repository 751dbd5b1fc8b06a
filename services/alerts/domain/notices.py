"""What a notifier is told (the notifier itself, log or webhook, is the service's: it does I/O).

A notice is a small value made from an alert event and the alert's state before it. Its ``key``
is the same on every node and for every copy of the event (the alert id, or the derived escalation
id), so a notifier that remembers keys tells each person once. An escalation that changes nothing
— a second copy, or one decided by a node that had not yet heard of the acknowledgment — tells no one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.alerts.domain.alerts import Alert, AlertEscalated, AlertRaised
from services.alerts.domain.tiers import rank


@dataclass(frozen=True)
class Notice:
    key: str
    what: str  # "raised" or "escalated"
    alert_id: str
    kind: str
    severity: str
    area_code: str
    tier: str  # the tier that must act now
    from_tier: str | None  # for an escalation, the tier it left (told too: it was escalated)
    elder_id: str | None
    facility_id: str | None
    at: datetime


def notice_for(before: Alert, event) -> Notice | None:
    """The notice an event calls for, given the alert as it was before the event; None for the rest."""
    if isinstance(event, AlertRaised) and not before.raised:
        return Notice(event.alert_id, "raised", event.alert_id, event.kind, event.severity, event.area_code,
                      event.home_tier, None, event.elder_id, event.facility_id, event.at)
    if isinstance(event, AlertEscalated) and before.status in ("raised", "escalated") \
            and rank(event.to_tier) > rank(before.tier):
        return Notice(event.escalation_id, "escalated", event.alert_id, before.raised.kind, event.severity,
                      event.area_code, event.to_tier, event.from_tier, before.raised.elder_id,
                      before.raised.facility_id, event.at)
    return None
