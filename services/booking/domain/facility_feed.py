"""What the registry says about a facility, and the capacity commands that make its pools agree.

The registry's facility events (``eldernet.registry.Facility*``) reach the booking service as
payloads; booking imports nothing of the registry (services are independent). They may arrive out
of order — a consumer handles several at once, and retries one that failed — so the facts are kept
per attribute with the version of the facility's stream that set them: the newest version wins,
whatever the order of arrival. A suspension that overtakes the registration is still applied once
the registration (and so the capacity) is known.

Pools fed from the registry: the facility's beds (general and nursing-type) are the ``beds`` pool,
its day places the ``day_care`` pool and its canteen seats the ``meals`` pool (a seat a day). The
pools its staff set (bathing sessions, carers' time …) follow its status only.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Mapping

from services.booking.domain.capacity import Pool
from services.booking.domain.capacity_messages import CloseCapacity, ReopenCapacity, SetCapacity, SuspendCapacity

REGISTERED, CAPACITY_CHANGED = "FacilityRegistered", "FacilityCapacityChanged"
STATUS_AFTER = {REGISTERED: "open", "FacilitySuspended": "suspended", "FacilityReopened": "open",
                "FacilityClosed": "closed"}
FED_POOLS = ("beds", "day_care", "meals")


def pool_units(capacity: Mapping[str, int]) -> dict[str, int]:
    """The registry's capacity (its ``Capacity`` payload) as units of the pools it feeds."""
    return {"beds": capacity.get("general_beds", 0) + capacity.get("nursing_beds", 0),
            "day_care": capacity.get("day_places", 0),
            "meals": capacity.get("canteen_seats", 0)}


@dataclass(frozen=True)
class FacilityFacts:
    facility_id: str
    area_code: str
    units: Mapping[str, int] | None = None  # None until a registration or capacity change is known
    units_version: int = 0
    status: str = "open"
    reason: str | None = None
    status_version: int = 0


def learn(facts: FacilityFacts, kind: str, version: int, data: Mapping) -> FacilityFacts:
    """``facts`` after the registry's event ``kind`` (its version in the facility's stream)."""
    if kind in (REGISTERED, CAPACITY_CHANGED) and version > facts.units_version:
        facts = replace(facts, units=pool_units(data["capacity"]), units_version=version)
    if kind in STATUS_AFTER and version > facts.status_version:
        facts = replace(facts, status=STATUS_AFTER[kind], reason=data.get("reason"), status_version=version)
    return facts


def commands_for(facts: FacilityFacts, pool: str, state: Pool, at: datetime) -> list:
    """The commands, in order, that bring one pool to what the registry says (none when it agrees).

    A pool the registry feeds is made when it has units; one it never had stays unmade at zero.
    """
    status = state.status
    if status == "closed" or (facts.status == "closed" and not status):
        return []  # closing is final; a pool never made has nothing to close
    if facts.status == "closed":
        return [CloseCapacity(facts.facility_id, pool, facts.reason or "closed", at)]
    commands = []
    units = (facts.units or {}).get(pool) if pool in FED_POOLS else None
    if units is not None and (status or units > 0) and units != state.units:
        commands.append(SetCapacity(facts.facility_id, pool, units, at))
        status = status or "open"
    if facts.status == "suspended" and status == "open":
        commands.append(SuspendCapacity(facts.facility_id, pool, facts.reason or "suspended", at))
    elif facts.status == "open" and status == "suspended":
        commands.append(ReopenCapacity(facts.facility_id, pool, at))
    return commands
