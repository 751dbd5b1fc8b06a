"""The booking service layer: one function per command or query, called by the nameko entrypoints
(RPC and HTTP) with input already loaded through its schema. Each checks the caller's area scope,
runs the step in one unit of work (flow.py) and answers from the read models.

``scope`` is the caller's Principal for HTTP requests and None for trusted calls over the node's
own broker. A booking is in its facility's area, and written at the facility's home node.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Callable

from shared.aggregate import Rejected
from shared.events import utcnow
from shared.http_api import Page, area_filter, require_seen, require_write
from shared.retry import retrying
from services.booking import elders, feed, flow, queries
from services.booking.domain.bookings import RequestBooking, booking
from services.booking.domain.capacity import capacity, capacity_id
from services.booking.domain.capacity_messages import ExpireWaiting, SetCapacity
from services.booking.domain.catalogue import local_now
from services.booking.domain.facility_feed import FED_POOLS
from services.booking.domain.recurrence import Series, occurrences


def _facility_area(uow, facility_id: str) -> str:
    with uow.read() as conn:
        area_code = queries.facility_area(conn, facility_id)
    if area_code is None:
        raise Rejected(f"no facility {facility_id} takes bookings here: none of its capacity is known",
                       field="facility_id")
    return area_code


# -- commands -----------------------------------------------------------------------------------
def request_booking(uow, body: dict, scope=None) -> dict:
    """Request a booking: confirmed, waitlisted or rejected before this returns."""
    area_code = _facility_area(uow, body["facility_id"])
    require_write(scope, area_code)
    booking_id = body.get("booking_id") or str(uuid.uuid4())
    _request(uow, body, booking_id, body["when"], area_code)
    return get_booking(uow, booking_id)


def request_series(uow, body: dict, scope=None) -> dict:
    """A recurring booking (meals every weekday, bathing every Tuesday): each occurrence is a booking
    of its own, requested in its own unit of work and decided on its own — confirmed, waiting or
    rejected. The occurrences' ids derive from the series id, so a retried series answers the
    bookings it already made rather than making them twice."""
    area_code = _facility_area(uow, body["facility_id"])
    require_write(scope, area_code)
    series = Series(body.get("series_id") or str(uuid.uuid4()), body["service"], body["when"],
                    tuple(body["weekdays"]), body["last_day"])
    booked = []
    for occurrence in occurrences(series):
        with uow.read() as conn:
            known = queries.get_booking(conn, occurrence.booking_id)
        if known is None:
            _request(uow, body, occurrence.booking_id, occurrence.when, area_code, series.series_id)
        elif any(known[key] != body[key] for key in ("elder_id", "facility_id", "service")):
            raise Rejected(f"series {series.series_id} was made for another elder, facility or service",
                           field="series_id")
        booked.append(known or get_booking(uow, occurrence.booking_id))
    return {"series_id": series.series_id, "bookings": booked}


def _request(uow, body: dict, booking_id: str, when, area_code: str, series_id: str | None = None) -> None:
    def attempt():
        command = RequestBooking(booking_id, body["elder_id"], body["facility_id"], area_code, body["service"],
                                 when, utcnow(), series_id)
        with uow() as work:
            flow.request(work, command, body["wait"])
    retrying(attempt, "booking")


def change_booking(uow, booking_id: str, make_command: Callable[[str, datetime], object], gives_back: bool,
                   scope=None) -> dict:
    """Run ``make_command(booking_id, now)``: cancel, check in, deliver or no-show. The scope is
    checked against the booking the unit of work changes."""
    get_booking(uow, booking_id, scope)  # 404 for what the caller may not see

    def attempt():
        with uow() as work:
            state, _ = work.load(booking, booking_id)
            require_write(scope, state.area_code)
            command = make_command(booking_id, utcnow())
            if gives_back:
                flow.end(work, booking_id, command)
            else:
                flow.step(work, booking_id, command)
    retrying(attempt, "booking")
    return get_booking(uow, booking_id)


def set_capacity(uow, facility_id: str, body: dict, scope=None) -> dict:
    """Set a pool the facility's staff run (sessions, carers' time); beds, day places and canteen
    seats come from the registry."""
    if body["pool"] in FED_POOLS:
        raise Rejected(f"{body['pool']} follows the facility's capacity in the registry: change it there",
                       field="pool")
    area_code = _facility_area(uow, facility_id)
    require_write(scope, area_code)

    def attempt():
        at = utcnow()
        command = SetCapacity(facility_id, body["pool"], body["units"], at, tuple(body["slots"]),
                              body["slot_minutes"])
        with uow() as work:
            key = capacity_id(facility_id, body["pool"])
            flow.settle(work, flow.execute(work, capacity, key, command, area_code), at)
            feed.agree(work, facility_id, body["pool"])
    retrying(attempt, "booking")
    today = local_now(utcnow()).date()
    return facility_schedule(uow, facility_id, today, today)


def expire_waiting(uow, at: datetime) -> int:
    """The clock's tick (``at``: now, injected): requests still waiting when their time has passed
    leave the list and their bookings are rejected. Only the pools this node writes; answers how
    many expired."""
    with uow.read() as conn:
        due = queries.pools_with_waiting_due(conn, local_now(at).date())
    return sum(_expire(uow, facility_id, pool, area_code, at) for facility_id, pool, area_code in due)


def _expire(uow, facility_id: str, pool: str, area_code: str, at: datetime) -> int:
    def attempt():
        with uow() as work:
            if not feed.is_home(work, area_code):
                return 0  # a parent holding the pool by sync: its home node expires it
            left = flow.execute(work, capacity, capacity_id(facility_id, pool), ExpireWaiting(facility_id, pool, at),
                                area_code)
            flow.settle(work, left, at)
            return len(left)
    return retrying(attempt, "booking")


def follow_elder(uow, event) -> None:
    """A registry elder event (the consumer's one unit of work)."""
    with uow() as work:
        elders.follow(work.conn, event)


def follow_facility(uow, event) -> None:
    """A registry facility event (the consumer's one unit of work)."""
    def attempt():
        with uow() as work:
            feed.follow(work, event)
    retrying(attempt, "booking")


# -- queries ------------------------------------------------------------------------------------
def get_booking(uow, booking_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_booking(conn, booking_id)
    require_seen(scope, row and row["area_code"], f"booking {booking_id}")
    return row


def list_bookings(uow, query: dict, scope=None) -> Page:
    area_code = area_filter(scope, query.get("area_code"))
    filters = {k: query.get(k) for k in ("elder_id", "facility_id", "series_id", "status", "day_from", "day_to")}
    with uow.read() as conn:
        rows, total = queries.list_bookings(conn, area_code, limit=query["limit"], offset=query["offset"], **filters)
    return Page(rows, total, query["limit"], query["offset"])


def elder_bookings(uow, elder_id: str, query: dict, scope=None) -> Page:
    """An elder's bookings at the facilities the caller may see."""
    return list_bookings(uow, {**query, "elder_id": elder_id, "area_code": None}, scope)


def facility_schedule(uow, facility_id: str, day_from: date, day_to: date, scope=None) -> dict:
    with uow.read() as conn:
        area_code = queries.facility_area(conn, facility_id)
        require_seen(scope, area_code, f"facility {facility_id} with bookable capacity")
        pools = queries.schedule(conn, facility_id, day_from, day_to)
        booked, _ = queries.list_bookings(conn, area_code, facility_id=facility_id, day_from=day_from,
                                          day_to=day_to, limit=10_000)
    return {"facility_id": facility_id, "area_code": area_code, "day_from": day_from, "day_to": day_to,
            "pools": pools, "bookings": booked}
