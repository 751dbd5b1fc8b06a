"""Elders' records (老年人电子档案): identity, home area, household, disability assessments.

The ID number is checked here but never recorded in an event: events carry its masked form and a
keyed hash (to find a second registration of the same person); the number itself lives only in
the registry's identity table. A disability level comes from a dated assessment with a validity
period; an expired one stays visible (and is what supervision alerts on).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.aggregate import Decider, Rejected
from services.registry.domain import identity

HOUSEHOLD = ("minimum_living_allowance", "extreme_poverty", "empty_nest", "living_alone")  # 低保 特困 空巢 独居
LEVELS = ("independent", "partly_disabled", "fully_disabled")  # 自理 半失能 失能
SEVERITIES = ("mild", "moderate", "severe")
SEXES = ("male", "female")
ELDER_AGE = 60


@dataclass(frozen=True)
class FamilyContact:
    name: str
    phone: str


@dataclass(frozen=True)
class RegisterElder:
    elder_id: str
    id_number: str
    id_number_hash: str  # keyed hash computed by the service layer (the key is infrastructure)
    name: str
    sex: str
    birth_date: date
    home_area_code: str
    household: tuple
    dementia: bool
    family_contact: FamilyContact | None
    at: datetime


@dataclass(frozen=True)
class AssessDisability:
    elder_id: str
    level: str
    severity: str | None
    assessed_on: date
    valid_until: date
    assessor: str
    at: datetime


@dataclass(frozen=True)
class ChangeHousehold:
    elder_id: str
    household: tuple
    at: datetime


@dataclass(frozen=True)
class MoveElder:
    elder_id: str
    home_area_code: str
    at: datetime


@dataclass(frozen=True)
class ElderRegistered:
    elder_id: str
    id_number_masked: str
    id_number_hash: str
    name: str
    sex: str
    birth_date: date
    home_area_code: str
    household: tuple
    dementia: bool
    family_contact: FamilyContact | None


@dataclass(frozen=True)
class DisabilityAssessed:
    elder_id: str
    level: str
    severity: str | None
    assessed_on: date
    valid_until: date
    assessor: str


@dataclass(frozen=True)
class HouseholdChanged:
    elder_id: str
    household: tuple


@dataclass(frozen=True)
class ElderMoved:
    elder_id: str
    from_area_code: str
    home_area_code: str


@dataclass(frozen=True)
class Elder:
    registered: bool = False
    home_area_code: str = ""
    household: tuple = ()
    birth_date: date | None = None


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _check_household(household) -> tuple:
    unknown = sorted(set(household) - set(HOUSEHOLD))
    if unknown:
        raise Rejected(f"unknown household status {', '.join(unknown)}; use {', '.join(HOUSEHOLD)}", field="household")
    return tuple(sorted(set(household)))


def _check_area(code: str) -> None:
    if not isinstance(code, str) or len(code) != 12 or not code.isascii() or not code.isdigit():
        raise Rejected("an elder's home area is a 12-digit village/community code", field="home_area_code")


def _register(command: RegisterElder) -> list:
    id_number = identity.validate(command.id_number, command.birth_date, command.sex)
    if command.sex not in SEXES:
        raise Rejected("male or female", field="sex")
    if not command.name.strip():
        raise Rejected("must not be empty", field="name")
    if command.birth_date > command.at.date():
        raise Rejected("is in the future", field="birth_date")
    if age_on(command.birth_date, command.at.date()) < ELDER_AGE:
        raise Rejected(f"elders' records are for people aged {ELDER_AGE} and over", field="birth_date")
    _check_area(command.home_area_code)
    return [ElderRegistered(command.elder_id, identity.mask(id_number), command.id_number_hash, command.name.strip(),
                            command.sex, command.birth_date, command.home_area_code,
                            _check_household(command.household), command.dementia, command.family_contact)]


def _assess(state: Elder, command: AssessDisability) -> list:
    if command.level not in LEVELS:
        raise Rejected(f"one of {', '.join(LEVELS)}", field="level")
    if command.level == "independent" and command.severity is not None:
        raise Rejected("an independent elder has no severity", field="severity")
    if command.level != "independent" and command.severity not in SEVERITIES:
        raise Rejected(f"one of {', '.join(SEVERITIES)}", field="severity")
    if command.assessed_on > command.at.date():
        raise Rejected("an assessment cannot be dated in the future", field="assessed_on")
    if command.valid_until <= command.assessed_on:
        raise Rejected("must be after the assessment date", field="valid_until")
    if not command.assessor.strip():
        raise Rejected("who assessed?", field="assessor")
    return [DisabilityAssessed(command.elder_id, command.level, command.severity, command.assessed_on,
                               command.valid_until, command.assessor.strip())]


def decide(state: Elder, command) -> list:
    if isinstance(command, RegisterElder):
        if state.registered:
            raise Rejected(f"elder {command.elder_id} is already registered", field="elder_id")
        return _register(command)
    if not state.registered:
        raise Rejected(f"no elder {command.elder_id}", field="elder_id")
    if isinstance(command, AssessDisability):
        return _assess(state, command)
    if isinstance(command, ChangeHousehold):
        household = _check_household(command.household)
        return [] if household == state.household else [HouseholdChanged(command.elder_id, household)]
    if isinstance(command, MoveElder):
        _check_area(command.home_area_code)
        if command.home_area_code == state.home_area_code:
            return []
        return [ElderMoved(command.elder_id, state.home_area_code, command.home_area_code)]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Elder, event) -> Elder:
    if isinstance(event, ElderRegistered):
        return Elder(True, event.home_area_code, tuple(event.household), event.birth_date)
    if isinstance(event, HouseholdChanged):
        return replace(state, household=tuple(event.household))
    if isinstance(event, ElderMoved):
        return replace(state, home_area_code=event.home_area_code)
    return state


elder = Decider(category="elder", initial=Elder, decide=decide, evolve=evolve)
