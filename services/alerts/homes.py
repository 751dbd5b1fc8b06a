"""Which node writes which alerts stream (single writer across the tiers, docs/alerts.md).

An alert's own stream ``alert-<id>`` is written at its home node (the node of the elder's or
facility's area, or the nearest one above it). A node above that decides something about the alert
— an escalation on behalf of a tier it no longer hears from, an acknowledgment, a resolution —
writes it to its own stream of the alert, ``alert-<id>.<its tier>`` (domain/escalation.py
``writer_stream``): the home of that stream is the area of that tier enclosing the alert's area,
so every stream still has exactly one writer, and the sync's trust checks (a child speaks only for
records whose home lies in its subtree) hold unchanged.
"""
from __future__ import annotations

from typing import Sequence

from shared.events import Event
from services.alerts.domain.tiers import TIERS

AREA_LENGTH = {"village": 12, "town": 9, "district": 6, "city": 4}


def split(stream_id: str) -> tuple[str, str | None]:
    """``alert-<id>.<tier>`` → (``alert-<id>``, tier); any other stream → (stream, None)."""
    base, dot, suffix = stream_id.rpartition(".")
    if dot and stream_id.startswith("alert-") and suffix in TIERS:
        return base, suffix
    return stream_id, None


def home_area(stream_id: str, area_code: str) -> str:
    """The area whose node writes ``stream_id`` about a record in ``area_code``."""
    _, tier = split(stream_id)
    if tier is None or len(area_code) <= AREA_LENGTH[tier]:
        return area_code
    return area_code[:AREA_LENGTH[tier]]


def references(event: Event) -> Sequence[str]:
    """A tier's stream of an alert is stored after the alert's own stream has arrived (its raising)."""
    base, tier = split(event.stream_id)
    return (base,) if tier is not None else ()
