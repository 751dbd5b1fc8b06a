"""The alerts service's read models, each rebuilt from the store by `eldernet replay alerts <name>`.

* ``alerts``: one row per alert, the domain's own ``Alert`` state kept column by column and moved on
  by the domain's ``evolve`` — so the read model converges exactly as the domain does, whatever
  order the events of the alert's streams arrive in from the nodes that wrote them. Each event is
  also turned into the notice it calls for (domain/notices.py), kept in ``alerts_notices``.
* ``devices``: one row per device, its registration and whether it is silent.
"""
from __future__ import annotations

from dataclasses import fields as dataclass_fields
from datetime import timedelta

import sqlalchemy as sa

from shared.db import UTCDateTime
from shared.projections import Projection
from services.alerts import tables
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.notices import notice_for
from services.alerts.schemas import alert_events, event_type

metadata = sa.MetaData()

alerts = sa.Table(
    "alerts_alerts", metadata,
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(64)),
    sa.Column("severity", sa.String(16), index=True),
    sa.Column("source", sa.String(16)),
    sa.Column("source_ref", sa.String(64)),
    sa.Column("elder_id", sa.String(64), index=True),
    sa.Column("facility_id", sa.String(64), index=True),
    sa.Column("area_code", sa.String(12), index=True),
    sa.Column("home_tier", sa.String(16)),
    sa.Column("ack_within_seconds", sa.Float),
    sa.Column("raised_at", UTCDateTime),
    sa.Column("reached", sa.String(16)),
    sa.Column("repeats", sa.Integer, nullable=False),
    sa.Column("acked_by", sa.String(100)),
    sa.Column("acked_tier", sa.String(16)),
    sa.Column("acked_at", UTCDateTime),
    sa.Column("resolved_by", sa.String(100)),
    sa.Column("resolved_tier", sa.String(16)),
    sa.Column("outcome", sa.String(32)),
    sa.Column("note", sa.String(500)),
    sa.Column("resolved_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("tier", sa.String(16), nullable=False),
)

devices = sa.Table(
    "alerts_devices", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("device_type", sa.String(32), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("elder_id", sa.String(64)),
    sa.Column("facility_id", sa.String(64)),
    sa.Column("silent_after_seconds", sa.Float, nullable=False),
    sa.Column("registered_at", UTCDateTime, nullable=False),
    sa.Column("retired", sa.Boolean, nullable=False),
    sa.Column("silent_since", UTCDateTime),
)

ALERT_EVENTS = (a.AlertRaised, a.AlertRepeated, a.AlertEscalated, a.AlertAcknowledged, a.AlertResolved)
DEVICE_EVENTS = (d.DeviceRegistered, d.DeviceRetired, d.DeviceWentSilent, d.DeviceHeardAgain)


# -- an alert row <-> the domain's Alert ---------------------------------------------------------
def alert_of(row) -> a.Alert:
    """The domain's state of the alert a row holds (None-safe: no row is the initial state)."""
    if row is None:
        return a.Alert()
    raised = None if row["kind"] is None else a.AlertRaised(
        row["alert_id"], row["kind"], row["severity"], row["source"], row["source_ref"], row["elder_id"],
        row["facility_id"], row["area_code"], row["home_tier"], timedelta(seconds=row["ack_within_seconds"]),
        row["raised_at"])
    acked = None if row["acked_at"] is None else a.AlertAcknowledged(
        row["alert_id"], row["acked_by"], row["acked_tier"], row["acked_at"])
    resolved = None if row["resolved_at"] is None else a.AlertResolved(
        row["alert_id"], row["resolved_by"], row["resolved_tier"], row["outcome"], row["note"], row["resolved_at"])
    return a.Alert(raised, row["reached"], row["repeats"], acked, resolved)


def row_of(alert_id: str, state: a.Alert) -> dict:
    row = {column.name: None for column in alerts.columns}
    row.update({"alert_id": alert_id, "reached": state.reached, "repeats": state.repeats, "status": state.status,
           "tier": state.tier})
    if state.raised:
        raised = state.raised
        row.update({f.name: getattr(raised, f.name) for f in dataclass_fields(raised)
                    if f.name not in ("alert_id", "ack_within", "at")},
                   ack_within_seconds=raised.ack_within.total_seconds(), raised_at=raised.at)
    for prefix, decision in (("acked", state.acknowledged), ("resolved", state.resolved)):
        if decision:
            row.update({f"{prefix}_by": decision.by, f"{prefix}_tier": decision.tier, f"{prefix}_at": decision.at})
    if state.resolved:
        row.update(outcome=state.resolved.outcome, note=state.resolved.note)
    return row


def device_of(row) -> d.Device:
    if row is None:
        return d.Device()
    registration = d.DeviceRegistered(row["device_id"], row["device_type"], row["area_code"], row["elder_id"],
                                      row["facility_id"], timedelta(seconds=row["silent_after_seconds"]),
                                      row["registered_at"])
    return d.Device(registration, row["retired"], row["silent_since"])


class AlertBoard(Projection):
    name = "alerts"
    tables = (alerts,)
    handles = frozenset(event_type(cls) for cls in ALERT_EVENTS)

    def __init__(self):
        self.registry = alert_events()

    def apply(self, conn, event):
        domain_event = self.registry.to_domain(event)
        alert_id = domain_event.alert_id
        row = conn.execute(sa.select(alerts).where(alerts.c.alert_id == alert_id)).mappings().first()
        before = alert_of(row)
        after = a.alert.evolve(before, domain_event)
        if row is None:
            conn.execute(alerts.insert().values(**row_of(alert_id, after)))
        else:
            conn.execute(alerts.update().where(alerts.c.alert_id == alert_id).values(**row_of(alert_id, after)))
        self._notice(conn, notice_for(before, domain_event))
        if isinstance(domain_event, a.AlertResolved):  # its device's burst: only the tail is ignored now
            conn.execute(tables.bursts.update().where(tables.bursts.c.alert_id == alert_id).values(open=False))

    @staticmethod
    def _notice(conn, notice) -> None:
        if notice is None:
            return
        notices = tables.notices
        if conn.execute(sa.select(notices.c.key).where(notices.c.key == notice.key)).first() is None:
            conn.execute(notices.insert().values(**vars(notice), told=False))


class DeviceList(Projection):
    name = "devices"
    tables = (devices,)
    handles = frozenset(event_type(cls) for cls in DEVICE_EVENTS)

    def __init__(self):
        self.registry = alert_events()

    def apply(self, conn, event):
        domain_event = self.registry.to_domain(event)
        where = devices.c.device_id == domain_event.device_id
        if isinstance(domain_event, d.DeviceRegistered):
            registration = {f.name: getattr(domain_event, f.name) for f in dataclass_fields(domain_event)
                            if f.name not in ("silent_after", "at")}
            conn.execute(devices.insert().values(
                **registration, silent_after_seconds=domain_event.silent_after.total_seconds(),
                registered_at=domain_event.at, retired=False))
        elif isinstance(domain_event, d.DeviceRetired):
            conn.execute(devices.update().where(where).values(retired=True))
        elif isinstance(domain_event, d.DeviceWentSilent):
            conn.execute(devices.update().where(where).values(silent_since=domain_event.last_heard_at))
        else:
            conn.execute(devices.update().where(where).values(silent_since=None))


def alert_projections() -> list[Projection]:
    return [AlertBoard(), DeviceList()]
