"""The registry's HTTP operations on the node's API (``/api/v1/registry/...``), as data."""
from __future__ import annotations

from shared.http_api import HttpApi, Operation
from services.registry import schemas as s
from services.registry.actions import ELDER_ACTIONS, FACILITY_ACTIONS

_OPERATIONS = [
    Operation("GET", "/areas", "http_list_areas", query=s.AreaQuery, response=s.AreaOut, paginated=True,
              summary="Areas inside the caller's area (or a given one inside it)"),
    Operation("POST", "/areas", "http_register_area", role="operator", body=s.AreaBody, response=s.AreaOut,
              status=201, summary="Register one area under a registered parent"),
    Operation("POST", "/areas/import", "http_import_areas", role="admin", body=s.AreaImportBody,
              summary="Import an area tree (code, name, tier, parent per row): all rows or none"),
    Operation("GET", "/areas/{code}", "http_get_area", response=s.AreaOut, summary="One area"),
    Operation("GET", "/areas/{code}/statistics", "http_statistics", query=s.StatisticsQuery,
              summary="Tier statistics of an area and everything inside it, against the targets"),
    Operation("GET", "/facilities", "http_list_facilities", query=s.FacilityQuery, response=s.FacilityOut,
              paginated=True, summary="Facilities, filtered by area, kind and status"),
    Operation("POST", "/facilities", "http_register_facility", role="operator", body=s.FacilityBody,
              response=s.FacilityOut, status=201, summary="Register a facility"),
    Operation("GET", "/facilities/{facility_id}", "http_get_facility", response=s.FacilityOut),
    *[Operation("POST", f"/facilities/{{facility_id}}/{action}", f"http_facility_{action}", role="operator",
                body=schema, response=s.FacilityOut, summary=f"Facility: {action}")
      for action, (schema, _) in FACILITY_ACTIONS.items()],
    Operation("GET", "/elders", "http_list_elders", query=s.ElderQuery, response=s.ElderOut, paginated=True,
              summary="Elders (ID numbers masked), filtered by area and expired assessments"),
    Operation("POST", "/elders", "http_register_elder", role="operator", body=s.ElderBody, response=s.ElderOut,
              status=201, summary="Register an elder's record"),
    Operation("GET", "/elders/{elder_id}", "http_get_elder", response=s.ElderOut),
    *[Operation("POST", f"/elders/{{elder_id}}/{action}", f"http_elder_{action}", role="operator", body=schema,
                response=s.ElderOut, summary=f"Elder: {action}")
      for action, (schema, _) in ELDER_ACTIONS.items()],
]

REGISTRY_API = HttpApi("registry", _OPERATIONS, title="eldernet registry")
