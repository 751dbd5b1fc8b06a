"""The arithmetic of capacity: what a claim takes from each cell, whether it fits, who is promoted
from the waiting list and whose reservation goes when capacity shrinks.

A cell is what one unit of capacity is counted on: a day (daily places, carers' minutes), a night
(beds, named by the day it begins) or a (day, start time) pair (slots).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable

from services.booking.domain.catalogue import KIND, When, nights

Capacity = Callable[[object], int]  # what a cell holds


@dataclass(frozen=True)
class Claim:
    """A booking's hold, or its wait, on a facility's capacity."""

    booking_id: str
    elder_id: str
    service: str
    when: When


def demand(claim: Claim) -> tuple[tuple[object, int], ...]:
    """The cells ``claim`` takes and how many units of each."""
    kind, when = KIND[claim.service], claim.when
    if kind == "bed_period":
        return tuple((night, 1) for night in nights(when))
    if kind == "slot":
        return (((when.day, when.start), 1),)
    return ((when.day, when.minutes if kind == "carer_time" else 1),)


def day_of(cell) -> date:
    return cell if isinstance(cell, date) else cell[0]


def usage(claims: Iterable[Claim]) -> Counter:
    used: Counter = Counter()
    for claim in claims:
        used.update(dict(demand(claim)))
    return used


def fits(claim: Claim, used: Counter, capacity: Capacity) -> bool:
    return all(used[cell] + units <= capacity(cell) for cell, units in demand(claim))


def promotions(waiting: Iterable[Claim], used: Counter, capacity: Capacity) -> tuple[Claim, ...]:
    """The waiting claims that fit, in the order they came, each counted before the next is tried.

    A claim that does not fit does not hold back a later one that does (it may want another day),
    so a large carers'-time request can be overtaken by small ones: the price of never leaving
    capacity idle while someone waits for it.
    """
    used, promoted = Counter(used), []
    for claim in waiting:
        if fits(claim, used, capacity):
            used.update(dict(demand(claim)))
            promoted.append(claim)
    return tuple(promoted)


def overflow(reserved: tuple[Claim, ...], capacity: Capacity, today: date) -> tuple[Claim, ...]:
    """The reservations to withdraw, newest first, until no cell from ``today`` on holds more than
    its capacity. Cells in the past are history: a shrink does not rewrite them."""
    used = usage(reserved)
    over = {cell for cell in used if day_of(cell) >= today and used[cell] > capacity(cell)}
    withdrawn = []
    for claim in reversed(reserved):
        if not over:
            break
        taken = dict(demand(claim))
        if over.isdisjoint(taken):
            continue
        used.subtract(taken)
        withdrawn.append(claim)
        over = {cell for cell in over if used[cell] > capacity(cell)}
    return tuple(withdrawn)


def shares_a_cell(claim: Claim, other: Claim) -> bool:
    return not {cell for cell, _ in demand(claim)}.isdisjoint(cell for cell, _ in demand(other))
