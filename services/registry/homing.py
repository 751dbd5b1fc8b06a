"""Where each registry record is written (single writer), and what a synced record needs first.

* Facilities and elders are written at the node of their area (or the nearest enclosing node
  that runs one): the village that runs the canteen, the community where the elder lives.
* The area tree (administrative divisions, GB/T 2260) is reference data kept by the city's
  civil-affairs bureau: every area is written at the city node and synced down to the nodes
  whose area it lies in or encloses.
"""
from __future__ import annotations

from shared.events import Event

CITY_CODE_LENGTH = 4
AREA_STREAM = "area-"


def home_area(stream_id: str, area_code: str) -> str:
    return area_code[:CITY_CODE_LENGTH] if stream_id.startswith(AREA_STREAM) else area_code


def references(event: Event) -> list[str]:
    """A record's first event names an area that must be stored before it (held until then):
    an elder or a facility arriving from a village before its area came down from the city."""
    if event.stream_version != 1:
        return []
    if event.stream_id.startswith(AREA_STREAM):
        parent = event.data.get("parent_code")
        return [AREA_STREAM + parent] if parent else []
    return [AREA_STREAM + event.area_code]
