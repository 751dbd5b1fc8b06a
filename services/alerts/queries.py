"""Queries on the alerts read models: open alerts by area and severity, an elder's or a facility's
history, one alert, devices, and what the checks go through."""
from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.alerts import tables
from services.alerts.projections import alerts, devices

OPEN = ("raised", "escalated")


def inside(column, area_code: str):
    """Rows whose area lies inside ``area_code`` (GB/T 2260 codes nest by prefix)."""
    return column.like(area_code + "%")


def get_alert(conn: Connection, alert_id: str) -> dict | None:
    row = conn.execute(sa.select(alerts).where(alerts.c.alert_id == alert_id, alerts.c.kind.is_not(None))) \
        .mappings().first()
    return dict(row) if row else None


def list_alerts(conn: Connection, area_code: str, *, statuses=None, severity: str | None = None,
                elder_id: str | None = None, facility_id: str | None = None,
                limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """Alerts inside ``area_code``, the newest first."""
    query = sa.select(alerts).where(alerts.c.kind.is_not(None), inside(alerts.c.area_code, area_code))
    if statuses:
        query = query.where(alerts.c.status.in_(statuses))
    for column, value in ((alerts.c.severity, severity), (alerts.c.elder_id, elder_id),
                          (alerts.c.facility_id, facility_id)):
        if value is not None:
            query = query.where(column == value)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(alerts.c.raised_at.desc(), alerts.c.alert_id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], total


def open_alerts(conn: Connection, area_code: str) -> list[dict]:
    """Open alerts inside this node's area (those it holds from above are their own tiers' to escalate)."""
    query = sa.select(alerts).where(alerts.c.kind.is_not(None), alerts.c.status.in_(OPEN),
                                    inside(alerts.c.area_code, area_code))
    return [dict(r) for r in conn.execute(query.order_by(alerts.c.raised_at)).mappings()]


def open_counts(conn: Connection, area_code: str) -> Counter:
    query = sa.select(alerts.c.severity, alerts.c.tier, sa.func.count()).where(
        alerts.c.status.in_(OPEN), inside(alerts.c.area_code, area_code)).group_by(alerts.c.severity, alerts.c.tier)
    return Counter({(severity, tier): n for severity, tier, n in conn.execute(query)})


def get_device(conn: Connection, device_id: str) -> dict | None:
    row = conn.execute(sa.select(devices).where(devices.c.device_id == device_id)).mappings().first()
    return dict(row) if row else None


def devices_in(conn: Connection, area_code: str) -> list[dict]:
    """The devices in service inside the area, each with the last time it was heard from (if here)."""
    heard = tables.heard
    query = sa.select(devices, heard.c.last_heard_at).select_from(
        devices.outerjoin(heard, heard.c.device_id == devices.c.device_id)).where(
        devices.c.retired.is_(False), inside(devices.c.area_code, area_code))
    return [dict(row) for row in conn.execute(query).mappings()]


def undelivered_candidates(conn: Connection, area_code: str, before) -> list[dict]:
    """Confirmed bookings inside the area whose service day is before ``before``."""
    facts = tables.bookings
    query = sa.select(facts).where(facts.c.status == "confirmed", facts.c.service_date < before,
                                   inside(facts.c.area_code, area_code))
    return [dict(r) for r in conn.execute(query).mappings()]
