"""The registry's service layer: one function per command or query, called by the nameko
entrypoints (RPC and HTTP) with input already loaded through its schema. Each checks the caller's
area scope, runs the domain in a unit of work and answers from the read models.

``scope`` is the caller's Principal for HTTP requests (a token bound to an area and a role) and
None for trusted calls over the node's own broker (other services, the seed loader).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Callable

import sqlalchemy as sa

from shared.aggregate import Rejected
from shared.events import utcnow
from shared.http_api import Forbidden, NotFound, Page
from services.registry import identities, queries
from services.registry.domain import area_import, areas as a, elders as e, facilities as f, identity
from services.registry.domain.statistics import statistics


def _can_write(scope, area_code: str) -> None:
    if scope is not None and not scope.can_write(area_code):
        raise Forbidden(f"this token ({scope.role} of {scope.area_code}) may not change records of {area_code}")


def _visible(scope, area_code: str) -> bool:
    return scope is None or scope.can_read(area_code)


def _area_filter(scope, area_code: str | None) -> str:
    """The area a list is about: the caller's own by default, never outside it."""
    if scope is None:
        return area_code or ""
    if area_code is None:
        return scope.area_code
    if not scope.can_read(area_code):
        raise Forbidden(f"this token covers {scope.area_code}, not {area_code}")
    return area_code


# -- areas --------------------------------------------------------------------------------------
def register_area(uow, body: dict, scope=None) -> dict:
    _can_write(scope, body["code"])
    with uow.read() as conn:
        if body["parent_code"] and queries.get_area(conn, body["parent_code"]) is None:
            raise Rejected(f"unknown parent area {body['parent_code']}", field="parent_code")
    urban = area_import.is_urban(body["urban"], body["name"], body["tier"])
    command = a.RegisterArea(body["code"], body["name"], body["tier"], body["parent_code"], urban, utcnow())
    with uow() as work:
        work.execute(a.area, command.code, command, area_code=command.code)
    return get_area(uow, command.code)


def import_areas(uow, rows: list, scope=None) -> dict:
    """All rows or none; Rejected lists every problem (row and field)."""
    with uow.read() as conn:
        known = queries.area_tiers(conn)
    plan = area_import.plan_import(rows, known, utcnow())
    if not plan.ok:
        raise Rejected("; ".join(str(p) for p in plan.problems[:50]), field="rows")
    for command in plan.commands:
        _can_write(scope, command.code)
    registered = 0
    with uow() as work:
        for command in plan.commands:
            registered += len(work.execute(a.area, command.code, command, area_code=command.code))
    return {"rows": len(plan.commands), "registered": registered}


def get_area(uow, code: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_area(conn, code)
    if row is None or not _visible(scope, code):
        raise NotFound(f"no area {code}")
    return row


def list_areas(uow, area_code: str | None, tier: str | None, limit: int, offset: int, scope=None) -> Page:
    with uow.read() as conn:
        rows, total = queries.list_areas(conn, _area_filter(scope, area_code), tier, limit, offset)
    return Page(rows, total, limit, offset)


# -- facilities ---------------------------------------------------------------------------------
def register_facility(uow, body: dict, scope=None) -> dict:
    _can_write(scope, body["area_code"])
    with uow.read() as conn:
        if queries.get_area(conn, body["area_code"]) is None:
            raise Rejected(f"unknown area {body['area_code']}: register the area first", field="area_code")
    facility_id = body.get("facility_id") or str(uuid.uuid4())
    command = f.RegisterFacility(facility_id, body["kind"], body["name"], body["area_code"], body["address"],
                                 body["ownership"], body["operator"], body["care_type"], body["capacity"],
                                 tuple(body["services"]), body["star_rating"], utcnow())
    with uow() as work:
        work.execute(f.facility, facility_id, command, area_code=command.area_code)
    return get_facility(uow, facility_id)


def change_facility(uow, facility_id: str, make_command: Callable[[str, datetime], object], scope=None) -> dict:
    """Run ``make_command(facility_id, now)`` (capacity, rating, suspend, reopen, close, admit, discharge).

    The scope is checked against the facility as the unit of work loads it, not a read model
    read before: what is authorised is exactly what is changed.
    """
    get_facility(uow, facility_id, scope)  # 404 for what the caller may not see
    with uow() as work:
        state, version = work.load(f.facility, facility_id)
        _can_write(scope, state.area_code)
        command = make_command(facility_id, utcnow())
        _can_write(scope, getattr(command, "area_code", state.area_code))
        events = f.facility.decide(state, command)
        stream_id = f.facility.stream_id(facility_id)
        work.record(stream_id, version, events, area_code=state.area_code)
        if events and isinstance(command, f.MoveFacility):  # an area split: its new area's node writes it
            work.hand_over(stream_id, state.area_code, command.area_code)
    return get_facility(uow, facility_id)


def get_facility(uow, facility_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_facility(conn, facility_id)
    if row is None or not _visible(scope, row["area_code"]):
        raise NotFound(f"no facility {facility_id}")
    return row


def list_facilities(uow, query: dict, scope=None) -> Page:
    with uow.read() as conn:
        rows, total = queries.list_facilities(conn, _area_filter(scope, query.get("area_code")), query.get("kind"),
                                              query.get("status"), query["limit"], query["offset"])
    return Page(rows, total, query["limit"], query["offset"])


# -- elders -------------------------------------------------------------------------------------
def register_elder(uow, key: bytes, body: dict, scope=None) -> dict:
    _can_write(scope, body["home_area_code"])
    id_number = identity.validate(body["id_number"], body["birth_date"], body["sex"])
    hash_ = identities.id_hash(key, id_number)
    elder_id = body.get("elder_id") or str(uuid.uuid4())
    command = e.RegisterElder(elder_id, id_number, hash_, body["name"], body["sex"], body["birth_date"],
                              body["home_area_code"], tuple(body["household"]), body["dementia"],
                              body["family_contact"], utcnow())
    try:
        with uow() as work:
            existing = identities.elder_with_hash(work.conn, hash_)
            if existing is not None:
                raise Rejected("this ID number is already registered", field="id_number")
            work.execute(e.elder, elder_id, command, area_code=command.home_area_code)
            identities.remember(work.conn, elder_id, id_number, hash_)
    except sa.exc.IntegrityError:  # a concurrent registration of the same person won the race
        raise Rejected("this ID number is already registered", field="id_number") from None
    return get_elder(uow, elder_id)


def change_elder(uow, elder_id: str, make_command: Callable[[str, datetime], object], scope=None) -> dict:
    """Run ``make_command(elder_id, now)``: an assessment, a household change or a move."""
    get_elder(uow, elder_id, scope)  # 404 for what the caller may not see
    command = make_command(elder_id, utcnow())
    with uow() as work:
        state, version = work.load(e.elder, elder_id)
        new_area = getattr(command, "home_area_code", state.home_area_code)
        _can_write(scope, state.home_area_code)  # checked on the state being changed
        _can_write(scope, new_area)
        events = e.elder.decide(state, command)
        stream_id = e.elder.stream_id(elder_id)
        # Written at the record's home as it is (a move too: about the area it leaves), then
        # handed over when the move takes it to another node's area (shared/record_handoff.py).
        work.record(stream_id, version, events, area_code=state.home_area_code or new_area)
        if new_area != state.home_area_code:
            work.hand_over(stream_id, state.home_area_code, new_area)
    return get_elder(uow, elder_id)


def get_elder(uow, elder_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_elder(conn, elder_id)
    if row is None or not _visible(scope, row["home_area_code"]):
        raise NotFound(f"no elder {elder_id}")
    return row


def list_elders(uow, query: dict, scope=None) -> Page:
    with uow.read() as conn:
        rows, total = queries.list_elders(conn, _area_filter(scope, query.get("area_code")),
                                          query.get("assessment_expired_on"), query["limit"], query["offset"])
    return Page(rows, total, query["limit"], query["offset"])


# -- statistics ---------------------------------------------------------------------------------
def tier_statistics(uow, area_code: str, as_of: date | None = None, scope=None) -> dict:
    if not _visible(scope, area_code):
        raise Forbidden(f"this token covers {scope.area_code}, not {area_code}")
    day = as_of or utcnow().date()
    with uow.read() as conn:
        area = queries.get_area(conn, area_code)
        if area is None:
            raise NotFound(f"no area {area_code}")
        figures = queries.tier_figures(conn, area_code, day)
    return {"area": area, "as_of": day.isoformat(), **statistics(figures)}
