"""The alerts service's steps inside one unit of work: an alert read from all its streams and
decided on at this node, a device's signal turned into alerts, deadlines, silences and findings.

An alert may have events in several streams (homes.py): its own, written at its home node, and one
per tier above that decided something about it. A node folds them all — the domain's ``evolve``
converges whatever their order — and writes only its own: ``alert-<id>`` at the home node,
``alert-<id>.<tier>`` above it. A node below the alert's home (a village holding its district's
facility alert by sync) writes nothing: the unit of work refuses, naming the home node.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from shared.unit_of_work import NotHomeNode
from services.alerts import tables
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.deduplication import RAISE, REPEAT, Burst, alert_id_for, take
from services.alerts.domain.escalation import due, streams, writer_stream
from services.alerts.domain.signals import Signal, alarms
from services.alerts.domain.supervision import AnomalyFound, Booking, booking_not_delivered, raise_for
from services.alerts.domain.tiers import rank
from services.alerts.settings import AlertsSettings


def node_tier(work) -> str:
    return work.context.node.tier.value


# -- one alert over its streams ---------------------------------------------------------------------
def load_alert(work, alert_id: str) -> a.Alert:
    """The alert as this node knows it: its own stream, then each tier's above its home."""
    read = lambda stream: [work.context.registry.to_domain(e)  # noqa: E731
                           for e in work.context.store.read_stream(stream, conn=work.conn)]
    state = a.alert.fold(read(a.alert.stream_id(alert_id)))
    if state.raised:
        for stream in streams(alert_id, state.raised.home_tier)[1:]:
            state = a.alert.fold(read(stream), state)
    return state


def writer_of(work, alert_id: str, state: a.Alert) -> str:
    """The stream this node writes its decisions about the alert to (its home stream below the
    alert's home tier: the unit of work then refuses, naming the home node)."""
    here, home_tier = node_tier(work), state.raised.home_tier
    if rank(here) < rank(home_tier):
        return a.alert.stream_id(alert_id)
    return writer_stream(alert_id, home_tier, here)


def decide_alert(work, alert_id: str, command) -> list:
    """Decide on ``command`` against the alert's merged state and record what this node decided."""
    state = load_alert(work, alert_id)
    events = a.alert.decide(state, command)
    if not events:
        return []
    if isinstance(command, a.RaiseAlert):
        stream, area_code = a.alert.stream_id(alert_id), command.area_code
    else:
        stream, area_code = writer_of(work, alert_id, state), state.raised.area_code
    version = work.context.store.stream_version(stream, work.conn)
    work.record(stream, version, events, area_code=area_code, at=command.at)
    return events


def escalate_due(work, alert_id: str, now: datetime) -> list[a.AlertEscalated]:
    """The escalations this node decides for the alert at ``now`` (domain/escalation.py ``due``)."""
    escalated = []
    for command in due(load_alert(work, alert_id), now, node_tier(work)):
        escalated += decide_alert(work, alert_id, command)
    return escalated


# -- devices and their signals ----------------------------------------------------------------------
def home_device(work, device_id: str) -> d.Device:
    """The device, when this node is its home (it decides on its signals); NotHomeNode otherwise."""
    device, _ = work.load(d.device, device_id)
    if device.registration is not None:
        stream, area_code = d.device.stream_id(device_id), device.registration.area_code
        if not work.is_home(stream, area_code):
            raise NotHomeNode(stream, work.context.home_node(stream, area_code), work.context.node.id)
    return device


def take_signal(work, signal: Signal, settings: AlertsSettings, now: datetime) -> list[dict]:
    """What a signal does: each of its alarms raises an alert, counts as a repeat or is ignored."""
    device = home_device(work, signal.device_id)
    d.check_signal(device, signal)
    _heard(work, signal.device_id, now)
    _device_step(work, device, d.NoteHeard(signal.device_id, now))
    outcomes = []
    for alarm in alarms(signal):
        burst, what = take(_burst(work, signal.device_id, alarm.kind), signal.device_id, alarm.kind, signal.at,
                           settings.dedup_window)
        if what == RAISE:
            decide_alert(work, burst.alert_id, d.raise_for(device, alarm, burst.alert_id, node_tier(work), now,
                                                           settings.limits))
        elif what == REPEAT:
            decide_alert(work, burst.alert_id, a.RecordRepeat(burst.alert_id, signal.at))
        _save_burst(work, signal.device_id, alarm.kind, burst)
        outcomes.append({"kind": alarm.kind, "severity": alarm.severity, "outcome": what, "alert_id": burst.alert_id})
    return outcomes


def silence(work, device_id: str, now: datetime, settings: AlertsSettings) -> str | None:
    """Mark a home device silent when its limit ran out, raising its alert; the alert's id or None."""
    device = home_device(work, device_id)
    last = work.conn.execute(sa.select(tables.heard.c.last_heard_at)
                             .where(tables.heard.c.device_id == device_id)).scalar()
    command = d.silence_due(device, last, now)
    if command is None:
        return None
    went = _device_step(work, device, command)
    if not went:
        return None
    event = went[0]
    alert_id = alert_id_for(device_id, "device_silent", event.at)
    decide_alert(work, alert_id, d.raise_for(device, d.silence_alarm(event), alert_id, node_tier(work), now,
                                             settings.limits))
    return alert_id


def _device_step(work, device: d.Device, command) -> list:
    """Decide on a device command and record what it decided (often nothing: no event)."""
    device_id = device.registration.device_id
    events = d.device.decide(device, command)
    if events:
        version = work.context.store.stream_version(d.device.stream_id(device_id), work.conn)
        work.record(d.device.stream_id(device_id), version, events, area_code=device.registration.area_code,
                    at=command.at)
    return events


def _heard(work, device_id: str, at: datetime) -> None:
    heard = tables.heard
    where = heard.c.device_id == device_id
    if work.conn.execute(sa.select(heard.c.device_id).where(where)).first() is None:
        work.conn.execute(heard.insert().values(device_id=device_id, last_heard_at=at))
    else:
        work.conn.execute(heard.update().where(where, heard.c.last_heard_at < at).values(last_heard_at=at))


def _burst(work, device_id: str, kind: str) -> Burst | None:
    row = work.conn.execute(sa.select(tables.bursts).where(
        tables.bursts.c.device_id == device_id, tables.bursts.c.kind == kind)).mappings().first()
    return None if row is None else Burst(row["alert_id"], row["last_at"], row["open"])


def _save_burst(work, device_id: str, kind: str, burst: Burst) -> None:
    bursts = tables.bursts
    where = (bursts.c.device_id == device_id, bursts.c.kind == kind)
    values = {"alert_id": burst.alert_id, "last_at": burst.last_at, "open": burst.open}
    if work.conn.execute(sa.select(bursts.c.alert_id).where(*where)).first() is None:
        work.conn.execute(bursts.insert().values(device_id=device_id, kind=kind, **values))
    else:
        work.conn.execute(bursts.update().where(*where).values(**values))


# -- supervision ------------------------------------------------------------------------------------
def find_undelivered(work, fact: Booking, settings: AlertsSettings, now: datetime) -> list[str]:
    """Run the "confirmed, not delivered" rule on one booking; record each new finding and raise
    its alert. Re-running it finds the same finding (its id is derived): stored once."""
    found = []
    for finding in booking_not_delivered(fact, settings.thresholds(fact.area_code), now):
        found += record_finding(work, finding, settings, now)
    return found


def record_finding(work, finding: AnomalyFound, settings: AlertsSettings, now: datetime) -> list[str]:
    stream = f"finding-{finding.finding_id}"
    if work.context.store.stream_version(stream, work.conn) > 0:
        return []
    work.record(stream, 0, [finding], area_code=finding.area_code, at=now)
    decide_alert(work, finding.finding_id, raise_for(finding, node_tier(work), now, settings.limits))
    return [finding.finding_id]
