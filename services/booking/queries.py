"""Queries on the booking read models: bookings by elder, facility, status and day; a facility's
schedule with the free capacity of each pool, day by day or session by session."""
from __future__ import annotations

from collections import Counter
from datetime import date, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.booking.domain.capacity import Pool
from services.booking.domain.catalogue import When
from services.booking.domain.ledger import Claim, demand, usage
from services.booking.projections import bookings, claims, pools

WHEN = ("day", "until", "start", "minutes")


def inside(column, area_code: str):
    """Rows whose area lies inside ``area_code`` (GB/T 2260 codes nest by prefix)."""
    return column.like(area_code + "%")


def _booking(row) -> dict:
    booking = {k: v for k, v in row.items() if k not in WHEN and k != "last_day"}
    return {**booking, "when": {k: row[k] for k in WHEN}}


def get_booking(conn: Connection, booking_id: str) -> dict | None:
    row = conn.execute(sa.select(bookings).where(bookings.c.booking_id == booking_id)).mappings().first()
    return _booking(row) if row else None


def list_bookings(conn: Connection, area_code: str, *, elder_id: str | None = None, facility_id: str | None = None,
                  series_id: str | None = None, status: str | None = None, day_from: date | None = None,
                  day_to: date | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """Bookings inside ``area_code`` whose days meet ``[day_from, day_to]``, earliest first."""
    query = sa.select(bookings).where(inside(bookings.c.area_code, area_code))
    for column, value in ((bookings.c.elder_id, elder_id), (bookings.c.facility_id, facility_id),
                          (bookings.c.series_id, series_id), (bookings.c.status, status)):
        if value is not None:
            query = query.where(column == value)
    if day_from is not None:
        query = query.where(bookings.c.last_day >= day_from)
    if day_to is not None:
        query = query.where(bookings.c.day <= day_to)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    order = (bookings.c.day, bookings.c.start, bookings.c.requested_at, bookings.c.booking_id)
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings().all()
    return [_booking(r) for r in rows], total


def facility_area(conn: Connection, facility_id: str) -> str | None:
    """The facility's area, once booking knows a pool of it (from the registry's events or its staff)."""
    return conn.execute(sa.select(pools.c.area_code).where(pools.c.facility_id == facility_id)).scalar()


def pools_with_waiting_due(conn: Connection, today: date) -> list[tuple[str, str, str]]:
    """(facility_id, pool, area_code) of the pools with requests waiting for a day up to ``today``:
    those the clock may expire (the domain decides which time has truly passed)."""
    query = (sa.select(claims.c.facility_id, claims.c.pool, pools.c.area_code).distinct()
             .join(pools, sa.and_(pools.c.facility_id == claims.c.facility_id, pools.c.pool == claims.c.pool))
             .where(claims.c.waiting.is_(True), claims.c.day <= today)
             .order_by(claims.c.facility_id, claims.c.pool))
    return [tuple(row) for row in conn.execute(query)]


# -- schedule -----------------------------------------------------------------------------------
def schedule(conn: Connection, facility_id: str, day_from: date, day_to: date) -> list[dict]:
    """Each pool of the facility with its cells from ``day_from`` to ``day_to``: what each holds,
    how much is reserved and free, and how many requests wait for it."""
    rows = conn.execute(sa.select(pools).where(pools.c.facility_id == facility_id).order_by(pools.c.pool)).mappings()
    return [_pool_schedule(conn, dict(row), day_from, day_to) for row in rows]


def _pool_schedule(conn: Connection, row: dict, day_from: date, day_to: date) -> dict:
    starts = tuple(time.fromisoformat(s) for s in row["slots"])
    pool = Pool(pool=row["pool"], status=row["status"], units=row["units"], slots=starts,
                slot_minutes=row["slot_minutes"])
    held = conn.execute(sa.select(claims).where(
        claims.c.facility_id == row["facility_id"], claims.c.pool == row["pool"],
        claims.c.day <= day_to, claims.c.last_day >= day_from).order_by(claims.c.position)).mappings().all()
    reserved = usage(_claim(c) for c in held if not c["waiting"])
    waiting = Counter(cell for c in held if c["waiting"] for cell, _ in demand(_claim(c)))
    cells = []
    for day in _days(day_from, day_to):
        for cell in ([(day, start) for start in starts] if starts else [day]):
            capacity = pool.capacity(cell)
            cells.append({"day": day, "start": f"{cell[1]:%H:%M}" if starts else None, "capacity": capacity,
                          "reserved": reserved[cell], "free": max(capacity - reserved[cell], 0),
                          "waiting": waiting[cell]})
    return {**row, "cells": cells}


def _claim(row) -> Claim:
    start = None if row["start"] is None else time.fromisoformat(row["start"])
    return Claim(row["booking_id"], row["elder_id"], row["service"],
                 When(row["day"], row["until"], start, row["minutes"]))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
