"""The four-tier area tree, keyed by GB/T 2260 / statistics-bureau codes.

A code's prefix is its ancestor: city 4 digits (2104), district 6 (210402), town/street 9
(210402003), village/community 12 (210402003001); so "inside" is a prefix test and a parent must
be the code's prefix one tier up. Streets (街道) and communities (社区) are urban; towns (镇) and
villages (村) rural — coverage targets differ (≥ 80 % urban, ≥ 70 % rural).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from shared.aggregate import Decider, Rejected

TIERS = ("city", "district", "town", "village")
CODE_LENGTH = {"city": 4, "district": 6, "town": 9, "village": 12}
TIER_OF_LENGTH = {length: tier for tier, length in CODE_LENGTH.items()}


@dataclass(frozen=True)
class RegisterArea:
    code: str
    name: str
    tier: str
    parent_code: str | None
    urban: bool
    at: datetime


@dataclass(frozen=True)
class RenameArea:
    code: str
    name: str
    at: datetime


@dataclass(frozen=True)
class AreaRegistered:
    code: str
    name: str
    tier: str
    parent_code: str | None
    urban: bool


@dataclass(frozen=True)
class AreaRenamed:
    code: str
    name: str


@dataclass(frozen=True)
class Area:
    registered: bool = False
    code: str = ""
    name: str = ""
    tier: str = ""


def check_code(code: str, tier: str, parent_code: str | None) -> None:
    """Rejected, naming the field, unless code, tier and parent fit together."""
    if tier not in CODE_LENGTH:
        raise Rejected(f"must be one of {', '.join(TIERS)}", field="tier")
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) != CODE_LENGTH[tier]:
        raise Rejected(f"a {tier} code has {CODE_LENGTH[tier]} digits", field="code")
    if tier == "city":
        if parent_code:
            raise Rejected("a city is the top of the tree and has no parent", field="parent_code")
        return
    if not parent_code:
        raise Rejected(f"a {tier} needs its parent's code", field="parent_code")
    parent_tier = TIERS[TIERS.index(tier) - 1]
    if len(parent_code) != CODE_LENGTH[parent_tier] or not code.startswith(parent_code):
        raise Rejected(f"must be the {parent_tier} code that {code} starts with ({code[:CODE_LENGTH[parent_tier]]})",
                       field="parent_code")


def decide(state: Area, command) -> list:
    if isinstance(command, RegisterArea):
        check_code(command.code, command.tier, command.parent_code)
        if not command.name.strip():
            raise Rejected("must not be empty", field="name")
        if state.registered:
            if (state.name, state.tier) == (command.name, command.tier):
                return []  # the same area again (a re-run import): nothing new
            raise Rejected(f"area {command.code} is already registered as {state.name!r}", field="code")
        return [AreaRegistered(command.code, command.name.strip(), command.tier, command.parent_code, command.urban)]
    if not state.registered:
        raise Rejected(f"no area {command.code}", field="code")
    if isinstance(command, RenameArea):
        if not command.name.strip():
            raise Rejected("must not be empty", field="name")
        return [] if command.name == state.name else [AreaRenamed(command.code, command.name.strip())]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: Area, event) -> Area:
    if isinstance(event, AreaRegistered):
        return Area(True, event.code, event.name, event.tier)
    if isinstance(event, AreaRenamed):
        return replace(state, name=event.name)
    return state


area = Decider(category="area", initial=Area, decide=decide, evolve=evolve)
