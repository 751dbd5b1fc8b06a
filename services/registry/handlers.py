"""The registry's service layer: one function per command or query, called by the nameko
entrypoints (RPC and HTTP). Each loads input through its schema (errors name the field), checks
the caller's area scope, runs the domain in a unit of work and answers from the read models.

``scope`` is the caller's Principal for HTTP requests (token bound to an area and a role) and
None for trusted calls over the node's own broker (other services, the seed loader).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa

from shared.aggregate import Rejected
from shared.events import utcnow
from shared.schemas import PayloadError, load
from services.registry import identities, queries, schemas as s
from services.registry.domain import area_import, areas as a, elders as e, facilities as f, identity
from services.registry.domain.statistics import statistics


class NotFound(LookupError):
    """No such record, or not one the caller may see (never tell which)."""


class OutOfScope(PermissionError):
    """The caller's token does not cover that area, or its role may not write."""


def _can_write(scope, area_code: str) -> None:
    if scope is not None and not scope.can_write(area_code):
        raise OutOfScope(f"your token ({scope.role} of {scope.area_code}) may not change records of {area_code}")


def _visible(scope, area_code: str) -> bool:
    return scope is None or scope.can_read(area_code)


def _now(at: datetime | None) -> datetime:
    return at or utcnow()


# -- areas --------------------------------------------------------------------------------------
def register_area(uow, payload: dict, scope=None, at: datetime | None = None) -> dict:
    body = load(s.AreaBody(), payload)
    _can_write(scope, body["code"])
    with uow.read() as conn:
        if body["parent_code"] and queries.get_area(conn, body["parent_code"]) is None:
            raise Rejected(f"unknown parent area {body['parent_code']}", field="parent_code")
    urban = area_import.is_urban(body["urban"], body["name"], body["tier"])
    command = a.RegisterArea(body["code"], body["name"], body["tier"], body["parent_code"], urban, _now(at))
    with uow() as work:
        work.execute(a.area, command.code, command, area_code=command.code)
    with uow.read() as conn:
        return queries.get_area(conn, command.code)


def import_areas(uow, rows: list, scope=None, at: datetime | None = None) -> dict:
    """All rows or none; raises Rejected listing every problem (row and field)."""
    with uow.read() as conn:
        known = queries.area_tiers(conn)
    plan = area_import.plan_import(rows, known, _now(at))
    if not plan.ok:
        raise Rejected("; ".join(str(p) for p in plan.problems[:50]), field="rows")
    for command in plan.commands:
        _can_write(scope, command.code)
    registered = 0
    with uow() as work:
        for command in plan.commands:
            registered += len(work.execute(a.area, command.code, command, area_code=command.code))
    return {"rows": len(plan.commands), "registered": registered}


# -- facilities ---------------------------------------------------------------------------------
def register_facility(uow, payload: dict, scope=None, at: datetime | None = None) -> dict:
    body = load(s.FacilityBody(), payload)
    _can_write(scope, body["area_code"])
    with uow.read() as conn:
        if queries.get_area(conn, body["area_code"]) is None:
            raise Rejected(f"unknown area {body['area_code']}: register the area first", field="area_code")
    facility_id = body["facility_id"] or str(uuid.uuid4())
    command = f.RegisterFacility(facility_id, body["kind"], body["name"], body["area_code"], body["address"],
                                 body["ownership"], body["operator"], body["care_type"], body["capacity"],
                                 tuple(body["services"]), body["star_rating"], _now(at))
    with uow() as work:
        work.execute(f.facility, facility_id, command, area_code=command.area_code)
    return get_facility(uow, facility_id)


def _facility_area(uow, facility_id: str, scope) -> str:
    with uow.read() as conn:
        row = queries.get_facility(conn, facility_id)
    if row is None or not _visible(scope, row["area_code"]):
        raise NotFound(f"no facility {facility_id}")
    _can_write(scope, row["area_code"])
    return row["area_code"]


def change_facility(uow, facility_id: str, action: str, payload: dict | None, scope=None,
                    at: datetime | None = None) -> dict:
    """capacity, rating, suspend, reopen, close, admit, discharge: one facility command."""
    area_code = _facility_area(uow, facility_id, scope)
    command = _facility_command(facility_id, action, payload or {}, _now(at))
    with uow() as work:
        work.execute(f.facility, facility_id, command, area_code=area_code)
    return get_facility(uow, facility_id)


def _facility_command(facility_id: str, action: str, payload: dict, at: datetime):
    if action == "capacity":
        return f.ChangeCapacity(facility_id, load(s.CapacityBody(), payload)["capacity"], at)
    if action == "rating":
        return f.RateFacility(facility_id, load(s.RatingBody(), payload)["star_rating"], at)
    if action in ("suspend", "close"):
        reason = load(s.ReasonBody(), payload)["reason"]
        return (f.SuspendFacility if action == "suspend" else f.CloseFacility)(facility_id, reason, at)
    if action == "reopen":
        return f.ReopenFacility(facility_id, at)
    if action in ("admit", "discharge"):
        elder_id = load(s.ResidentBody(), payload)["elder_id"]
        return (f.RecordAdmission if action == "admit" else f.RecordDischarge)(facility_id, elder_id, at)
    raise Rejected(f"unknown facility action {action!r}", field="action")


def get_facility(uow, facility_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_facility(conn, facility_id)
    if row is None or not _visible(scope, row["area_code"]):
        raise NotFound(f"no facility {facility_id}")
    return row


# -- elders -------------------------------------------------------------------------------------
def register_elder(uow, key: bytes, payload: dict, scope=None, at: datetime | None = None) -> dict:
    body = load(s.ElderBody(), payload)
    _can_write(scope, body["home_area_code"])
    id_number = identity.validate(body["id_number"], body["birth_date"], body["sex"])
    hash_ = identities.id_hash(key, id_number)
    elder_id = body["elder_id"] or str(uuid.uuid4())
    command = e.RegisterElder(elder_id, id_number, hash_, body["name"], body["sex"], body["birth_date"],
                              body["home_area_code"], tuple(body["household"]), body["dementia"],
                              body["family_contact"], _now(at))
    try:
        with uow() as work:
            existing = identities.elder_with_hash(work.conn, hash_)
            if existing is not None:
                raise Rejected(f"this ID number is already registered (elder {existing})", field="id_number")
            work.execute(e.elder, elder_id, command, area_code=command.home_area_code)
            identities.remember(work.conn, elder_id, id_number, hash_)
    except sa.exc.IntegrityError:  # a concurrent registration of the same person won the race
        raise Rejected("this ID number is already registered", field="id_number") from None
    return get_elder(uow, elder_id)


def change_elder(uow, elder_id: str, action: str, payload: dict, scope=None, at: datetime | None = None) -> dict:
    """assess, household, move: one elder command."""
    elder = get_elder(uow, elder_id, scope)
    _can_write(scope, elder["home_area_code"])
    at = _now(at)
    if action == "assess":
        body = load(s.AssessmentBody(), payload)
        command = e.AssessDisability(elder_id, body["level"], body["severity"], body["assessed_on"],
                                     body["valid_until"], body["assessor"], at)
    elif action == "household":
        command = e.ChangeHousehold(elder_id, tuple(load(s.HouseholdBody(), payload)["household"]), at)
    elif action == "move":
        command = e.MoveElder(elder_id, load(s.MoveBody(), payload)["home_area_code"], at)
        _can_write(scope, command.home_area_code)
    else:
        raise Rejected(f"unknown elder action {action!r}", field="action")
    with uow() as work:
        work.execute(e.elder, elder_id, command, area_code=getattr(command, "home_area_code", elder["home_area_code"]))
    return get_elder(uow, elder_id)


def get_elder(uow, elder_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_elder(conn, elder_id)
    if row is None or not _visible(scope, row["home_area_code"]):
        raise NotFound(f"no elder {elder_id}")
    return row


# -- batches ------------------------------------------------------------------------------------
def register_many(uow, key: bytes, kind: str, payloads: list) -> dict:
    """Run one command per item: ``facilities``, ``elders``, ``assessments`` or ``admissions``."""
    run = {
        "facilities": lambda p: register_facility(uow, p),
        "elders": lambda p: register_elder(uow, key, p),
        "assessments": lambda p: change_elder(uow, p["elder_id"], "assess", {k: v for k, v in p.items() if k != "elder_id"}),
        "admissions": lambda p: change_facility(uow, p["facility_id"], "admit", {"elder_id": p["elder_id"]}),
    }.get(kind)
    if run is None:
        raise Rejected("one of facilities, elders, assessments, admissions", field="kind")
    done, errors = 0, []
    for index, payload in enumerate(payloads):
        try:
            run(payload)
            done += 1
        except (Rejected, PayloadError, NotFound) as error:
            errors.append({"index": index, "error": f"{type(error).__name__}: {error}"})
    return {"done": done, "errors": errors}


# -- statistics ---------------------------------------------------------------------------------
def tier_statistics(uow, area_code: str, as_of: date | None = None, scope=None) -> dict:
    if not _visible(scope, area_code):
        raise OutOfScope(f"your token covers {scope.area_code}, not {area_code}")
    with uow.read() as conn:
        area = queries.get_area(conn, area_code)
        if area is None:
            raise NotFound(f"no area {area_code}")
        figures = queries.tier_figures(conn, area_code, as_of or utcnow().date())
    return {"area": area, "as_of": (as_of or utcnow().date()).isoformat(), **statistics(figures)}
