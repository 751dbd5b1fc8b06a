"""One alert (告警) and its lifecycle: raised → acknowledged → resolved, escalated meanwhile.

An alert comes from a device (an SOS, a smoke alarm, a belt's fall or readings, a silent device) or
from a supervision rule (监管发现), about an elder or a facility, in an area; it is raised at its home
node and, unacknowledged, climbs the tiers (escalation.py). Legal moves: raise; count a repeat while
it is not resolved; escalate while it is not acknowledged; acknowledge once; resolve once, after
it was acknowledged.

The same alert is held and decided on by several nodes (the home node and those above it), so
``evolve`` converges: whatever order their events arrive in, and however many copies, the state is
the same — the highest tier reached, the earliest acknowledgment and resolution, all repeats.
A second ``RaiseAlert`` of an alert is a no-op: alert ids are derived from what raised them, so a
re-delivered signal or a re-run rule decides the same alert again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from shared.aggregate import Decider, Rejected
from services.alerts.domain.escalation import EscalateAlert, deadline, escalation_id
from services.alerts.domain.tiers import check_tier, parent, rank, tier_of_area

SEVERITIES = ("critical", "high", "medium", "low")
SOURCES = ("device", "supervision")
OUTCOMES = ("assisted", "sent_to_hospital", "false_alarm", "device_serviced", "rectified", "dismissed")


# The events record exactly what their commands asked: each pair shares one field list.
@dataclass(frozen=True)
class _Raising:
    alert_id: str
    kind: str  # the alarm (sos, smoke, fall, …, device_silent) or the supervision rule
    severity: str
    source: str  # device or supervision
    source_ref: str  # the device id, or the finding id
    elder_id: str | None
    facility_id: str | None
    area_code: str
    home_tier: str  # the tier of the node that raises it: the area's own, or above when it runs no node
    ack_within: timedelta  # from escalation.ack_within: carried so every node applies the same limit
    at: datetime  # when the home node received the signal or made the finding: the limits run from it


@dataclass(frozen=True)
class _Acknowledgment:
    alert_id: str
    by: str
    tier: str
    at: datetime


@dataclass(frozen=True)
class _Resolution:
    alert_id: str
    by: str
    tier: str
    outcome: str
    note: str
    at: datetime


@dataclass(frozen=True)
class RaiseAlert(_Raising):
    """Raise an alert for a device's alarm or a supervision finding."""


@dataclass(frozen=True)
class RecordRepeat:
    alert_id: str
    at: datetime


@dataclass(frozen=True)
class AcknowledgeAlert(_Acknowledgment):
    """Someone at a tier takes the alert on: escalation stops."""


@dataclass(frozen=True)
class ResolveAlert(_Resolution):
    """Close an acknowledged alert, saying how it ended."""


@dataclass(frozen=True)
class AlertRaised(_Raising):
    """An alert was raised at its home node."""


@dataclass(frozen=True)
class AlertRepeated:
    alert_id: str
    at: datetime


@dataclass(frozen=True)
class AlertEscalated:
    alert_id: str
    escalation_id: str  # derived from alert and tier: the same whichever node decides it
    from_tier: str
    to_tier: str
    area_code: str
    severity: str
    at: datetime  # the deadline that passed


@dataclass(frozen=True)
class AlertAcknowledged(_Acknowledgment):
    """Someone took the alert on."""


@dataclass(frozen=True)
class AlertResolved(_Resolution):
    """The alert was closed."""


@dataclass(frozen=True)
class Alert:
    raised: AlertRaised | None = None
    reached: str | None = None  # the highest tier it escalated to
    repeats: int = 0
    acknowledged: AlertAcknowledged | None = None
    resolved: AlertResolved | None = None

    @property
    def tier(self) -> str:
        """The tier that must act on it now."""
        home = self.raised.home_tier if self.raised else None
        return max(filter(None, (home, self.reached)), key=rank, default="")

    @property
    def status(self) -> str:
        if self.resolved:
            return "resolved"
        if self.acknowledged:
            return "acknowledged"
        return "escalated" if self.reached else ("raised" if self.raised else "")


def _raise(command: RaiseAlert) -> list:
    if not command.kind.strip():
        raise Rejected("say what the alert is about", field="kind")
    if command.severity not in SEVERITIES:
        raise Rejected(f"one of {', '.join(SEVERITIES)}", field="severity")
    if command.source not in SOURCES:
        raise Rejected(f"one of {', '.join(SOURCES)}", field="source")
    if not command.source_ref.strip():
        raise Rejected("the device or finding it came from", field="source_ref")
    if not command.elder_id and not command.facility_id:
        raise Rejected("an alert is about an elder or a facility", field="elder_id")
    area_tier = tier_of_area(command.area_code)
    if rank(check_tier(command.home_tier, "home_tier")) < rank(area_tier):
        raise Rejected(f"a {command.home_tier} node does not hold a {area_tier}'s area", field="home_tier")
    if command.ack_within <= timedelta(0):
        raise Rejected("must be positive", field="ack_within")
    return [AlertRaised(**vars(command))]


def _check_actor(state: Alert, by: str, tier: str) -> None:
    if not by or not by.strip():
        raise Rejected("who?", field="by")
    if rank(check_tier(tier, "tier")) < rank(state.raised.home_tier):
        raise Rejected(f"the alert is held at the {state.raised.home_tier} tier and above", field="tier")


def _escalate(state: Alert, command: EscalateAlert) -> list:
    if state.acknowledged:
        raise Rejected(f"acknowledged at the {state.acknowledged.tier} tier: it escalates no further", field="alert_id")
    if rank(check_tier(command.to_tier, "to_tier")) <= rank(state.tier):
        return []  # decided already, here or by another node
    if command.to_tier != parent(state.tier):
        raise Rejected(f"one tier at a time: next is {parent(state.tier)}", field="to_tier")
    raised = state.raised
    due_at = deadline(raised.at, raised.ack_within, raised.home_tier, state.tier)
    if command.at < due_at:
        raise Rejected(f"not overdue at the {state.tier} tier before {due_at.isoformat()}", field="at")
    return [AlertEscalated(command.alert_id, escalation_id(command.alert_id, command.to_tier), state.tier,
                           command.to_tier, raised.area_code, raised.severity, due_at)]


def decide(state: Alert, command) -> list:
    if isinstance(command, RaiseAlert):
        return [] if state.raised else _raise(command)
    if not state.raised:
        raise Rejected(f"no alert {command.alert_id}", field="alert_id")
    if state.resolved:
        raise Rejected("the alert is resolved", field="alert_id")
    if isinstance(command, RecordRepeat):
        return [AlertRepeated(command.alert_id, command.at)]
    if isinstance(command, EscalateAlert):
        return _escalate(state, command)
    if isinstance(command, AcknowledgeAlert):
        if state.acknowledged:
            raise Rejected(f"already acknowledged by {state.acknowledged.by}", field="alert_id")
        _check_actor(state, command.by, command.tier)
        return [AlertAcknowledged(command.alert_id, command.by.strip(), command.tier, command.at)]
    if isinstance(command, ResolveAlert):
        if not state.acknowledged:
            raise Rejected("acknowledge it before resolving it", field="alert_id")
        _check_actor(state, command.by, command.tier)
        if command.outcome not in OUTCOMES:
            raise Rejected(f"one of {', '.join(OUTCOMES)}", field="outcome")
        return [AlertResolved(command.alert_id, command.by.strip(), command.tier, command.outcome,
                              command.note.strip(), command.at)]
    raise TypeError(f"unknown command {command!r}")


def _first(held, arrived):
    """The earlier of two decisions made on different nodes; ties broken so every node agrees."""
    if held is None:
        return arrived
    return min(held, arrived, key=lambda decision: (decision.at, rank(decision.tier), repr(decision)))


def evolve(state: Alert, event) -> Alert:
    if isinstance(event, AlertRaised):
        return replace(state, raised=event)
    if isinstance(event, AlertRepeated):
        return replace(state, repeats=state.repeats + 1)
    if isinstance(event, AlertEscalated):
        return replace(state, reached=max(filter(None, (state.reached, event.to_tier)), key=rank))
    if isinstance(event, AlertAcknowledged):
        return replace(state, acknowledged=_first(state.acknowledged, event))
    if isinstance(event, AlertResolved):
        return replace(state, resolved=_first(state.resolved, event))
    return state


alert = Decider(category="alert", initial=Alert, decide=decide, evolve=evolve)
