"""Facilities of the care network and their lifecycle: open → suspended ⇄ open → closed.

Kinds (DOMAIN.md): nursing home 养老机构, home-and-community care centre 居家和社区养老服务中心,
day-care centre 日间照料中心, rural mutual-aid home 农村互助幸福院, community canteen 老年食堂,
medical-care unit 医养结合单位, home care bed 家庭养老床位, dispatch centre 指挥调度中心.
Occupancy is fed by admissions and discharges (booking sends them once it exists).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from shared.aggregate import Decider, Rejected

KINDS = ("nursing_home", "community_care_centre", "day_care_centre", "mutual_aid_home", "canteen",
         "medical_care_unit", "home_care_bed", "dispatch_centre")
# Facilities whose beds are the "institutional beds" of the statistics (beds per 1 000 elders).
INSTITUTIONAL_KINDS = ("nursing_home", "medical_care_unit")
# Facilities that make a village or community "covered" (community facility coverage).
COMMUNITY_KINDS = ("community_care_centre", "day_care_centre", "mutual_aid_home", "canteen")
OWNERSHIP = ("public", "private", "public_built_private_run", "private_with_public_aid")
CARE_TYPES = ("support", "nursing", "medical")  # 供养型, 养护型, 医护型
SERVICES = ("meals", "medical", "cleaning", "bathing", "recreation", "mobility", "emergency", "day_care",
            "full_time_care", "respite_care", "rehabilitation", "home_visits", "housekeeping",
            "health_consultation", "shopping", "trial_stay", "admission")
# What capacity each kind must declare (the rest may be zero).
REQUIRED_CAPACITY = {
    "nursing_home": ("beds",), "medical_care_unit": ("beds",), "home_care_bed": ("beds",),
    "day_care_centre": ("day_places",), "canteen": ("canteen_seats",),
}


@dataclass(frozen=True)
class Capacity:
    general_beds: int = 0
    nursing_beds: int = 0   # 护理型床位
    day_places: int = 0
    canteen_seats: int = 0
    floor_area_m2: int = 0

    @property
    def beds(self) -> int:
        return self.general_beds + self.nursing_beds


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisterFacility:
    facility_id: str
    kind: str
    name: str
    area_code: str
    address: str
    ownership: str
    operator: str
    care_type: str | None
    capacity: Capacity
    services: tuple
    star_rating: int
    at: datetime


@dataclass(frozen=True)
class ChangeCapacity:
    facility_id: str
    capacity: Capacity
    at: datetime


@dataclass(frozen=True)
class RateFacility:
    facility_id: str
    star_rating: int
    at: datetime


@dataclass(frozen=True)
class SuspendFacility:
    facility_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ReopenFacility:
    facility_id: str
    at: datetime


@dataclass(frozen=True)
class CloseFacility:
    facility_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RecordAdmission:
    facility_id: str
    elder_id: str
    at: datetime


@dataclass(frozen=True)
class RecordDischarge:
    facility_id: str
    elder_id: str
    at: datetime


# -- events -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FacilityRegistered:
    facility_id: str
    kind: str
    name: str
    area_code: str
    address: str
    ownership: str
    operator: str
    care_type: str | None
    capacity: Capacity
    services: tuple
    star_rating: int


@dataclass(frozen=True)
class FacilityCapacityChanged:
    facility_id: str
    capacity: Capacity


@dataclass(frozen=True)
class FacilityRated:
    facility_id: str
    star_rating: int


@dataclass(frozen=True)
class FacilitySuspended:
    facility_id: str
    reason: str


@dataclass(frozen=True)
class FacilityReopened:
    facility_id: str


@dataclass(frozen=True)
class FacilityClosed:
    facility_id: str
    reason: str


@dataclass(frozen=True)
class ResidentAdmitted:
    facility_id: str
    elder_id: str


@dataclass(frozen=True)
class ResidentDischarged:
    facility_id: str
    elder_id: str


@dataclass(frozen=True)
class MoveFacility:
    """A facility re-assigned to another area: its area was split and it lies in the new part."""
    facility_id: str
    area_code: str
    at: datetime


@dataclass(frozen=True)
class FacilityMoved:
    facility_id: str
    from_area_code: str
    area_code: str


# -- state ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Facility:
    registered: bool = False
    kind: str = ""
    area_code: str = ""
    status: str = ""  # open, suspended, closed
    capacity: Capacity = Capacity()
    residents: frozenset = field(default_factory=frozenset)


def check_capacity(kind: str, capacity: Capacity) -> None:
    for name in ("general_beds", "nursing_beds", "day_places", "canteen_seats", "floor_area_m2"):
        if getattr(capacity, name) < 0:
            raise Rejected("must not be negative", field=f"capacity.{name}")
    for need in REQUIRED_CAPACITY.get(kind, ()):
        if need == "beds" and capacity.beds == 0:
            raise Rejected(f"a {kind} needs general or nursing-type beds", field="capacity.general_beds")
        if need != "beds" and getattr(capacity, need) == 0:
            raise Rejected(f"a {kind} needs {need.replace('_', ' ')}", field=f"capacity.{need}")
    if kind == "home_care_bed" and capacity.beds != 1:
        raise Rejected("a home care bed is one bed in an elder's home", field="capacity.general_beds")


def _check_registration(command: RegisterFacility) -> None:
    if command.kind not in KINDS:
        raise Rejected(f"must be one of {', '.join(KINDS)}", field="kind")
    if not command.name.strip():
        raise Rejected("must not be empty", field="name")
    if command.ownership not in OWNERSHIP:
        raise Rejected(f"must be one of {', '.join(OWNERSHIP)}", field="ownership")
    if command.care_type is not None and (command.kind != "nursing_home" or command.care_type not in CARE_TYPES):
        raise Rejected(f"only a nursing home has a care type ({', '.join(CARE_TYPES)})", field="care_type")
    unknown = sorted(set(command.services) - set(SERVICES))
    if unknown:
        raise Rejected(f"unknown services {', '.join(unknown)}", field="services")
    _check_stars(command.star_rating)
    check_capacity(command.kind, command.capacity)


def _check_stars(stars: int) -> None:
    if not 0 <= stars <= 5:
        raise Rejected("0 (not rated) to 5 stars", field="star_rating")


def decide(state: Facility, command) -> list:
    if isinstance(command, RegisterFacility):
        if state.registered:
            raise Rejected(f"facility {command.facility_id} is already registered", field="facility_id")
        _check_registration(command)
        return [FacilityRegistered(command.facility_id, command.kind, command.name.strip(), command.area_code,
                                   command.address, command.ownership, command.operator, command.care_type,
                                   command.capacity, tuple(command.services), command.star_rating)]
    if not state.registered:
        raise Rejected(f"no facility {command.facility_id}", field="facility_id")
    if state.status == "closed":
        raise Rejected("the facility is closed", field="facility_id")
    return _decide_registered(state, command)


def _decide_registered(state: Facility, command) -> list:
    if isinstance(command, ChangeCapacity):
        check_capacity(state.kind, command.capacity)
        return [] if command.capacity == state.capacity else [FacilityCapacityChanged(command.facility_id, command.capacity)]
    if isinstance(command, RateFacility):
        _check_stars(command.star_rating)
        return [FacilityRated(command.facility_id, command.star_rating)]
    if isinstance(command, SuspendFacility):
        if state.status == "suspended":
            return []
        return [FacilitySuspended(command.facility_id, _reason(command.reason))]
    if isinstance(command, ReopenFacility):
        return [FacilityReopened(command.facility_id)] if state.status == "suspended" else []
    if isinstance(command, CloseFacility):
        return [FacilityClosed(command.facility_id, _reason(command.reason))]
    if isinstance(command, RecordAdmission):
        if command.elder_id in state.residents:
            return []
        if state.status != "open":
            raise Rejected(f"the facility is {state.status}: it takes no admissions", field="facility_id")
        return [ResidentAdmitted(command.facility_id, command.elder_id)]
    if isinstance(command, MoveFacility):
        return [] if command.area_code == state.area_code else [
            FacilityMoved(command.facility_id, state.area_code, command.area_code)]
    if isinstance(command, RecordDischarge):
        if command.elder_id not in state.residents:
            raise Rejected("the elder is not a resident of this facility", field="elder_id")
        return [ResidentDischarged(command.facility_id, command.elder_id)]
    raise TypeError(f"unknown command {command!r}")


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise Rejected("say why", field="reason")
    return reason.strip()


def evolve(state: Facility, event) -> Facility:
    if isinstance(event, FacilityRegistered):
        return Facility(True, event.kind, event.area_code, "open", event.capacity, frozenset())
    if isinstance(event, FacilityCapacityChanged):
        return replace(state, capacity=event.capacity)
    if isinstance(event, FacilitySuspended):
        return replace(state, status="suspended")
    if isinstance(event, FacilityReopened):
        return replace(state, status="open")
    if isinstance(event, FacilityClosed):
        return replace(state, status="closed")
    if isinstance(event, ResidentAdmitted):
        return replace(state, residents=state.residents | {event.elder_id})
    if isinstance(event, FacilityMoved):
        return replace(state, area_code=event.area_code)
    if isinstance(event, ResidentDischarged):
        return replace(state, residents=state.residents - {event.elder_id})
    return state


facility = Decider(category="facility", initial=Facility, decide=decide, evolve=evolve)
