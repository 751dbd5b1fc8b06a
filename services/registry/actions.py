"""What each facility and elder action takes (its body schema) and which command it makes."""
from __future__ import annotations

from services.registry import schemas as s
from services.registry.domain import elders as e, facilities as f

# action: (body schema or None, body -> (id, at) -> command)
FACILITY_ACTIONS = {
    "capacity": (s.CapacityBody, lambda b: lambda i, at: f.ChangeCapacity(i, b["capacity"], at)),
    "rating": (s.RatingBody, lambda b: lambda i, at: f.RateFacility(i, b["star_rating"], at)),
    "suspend": (s.ReasonBody, lambda b: lambda i, at: f.SuspendFacility(i, b["reason"], at)),
    "reopen": (None, lambda b: lambda i, at: f.ReopenFacility(i, at)),
    "close": (s.ReasonBody, lambda b: lambda i, at: f.CloseFacility(i, b["reason"], at)),
    "admit": (s.ResidentBody, lambda b: lambda i, at: f.RecordAdmission(i, b["elder_id"], at)),
    "discharge": (s.ResidentBody, lambda b: lambda i, at: f.RecordDischarge(i, b["elder_id"], at)),
    "move": (s.FacilityMoveBody, lambda b: lambda i, at: f.MoveFacility(i, b["area_code"], at)),
}

ELDER_ACTIONS = {
    "assess": (s.AssessmentBody, lambda b: lambda i, at: e.AssessDisability(
        i, b["level"], b["severity"], b["assessed_on"], b["valid_until"], b["assessor"], at)),
    "household": (s.HouseholdBody, lambda b: lambda i, at: e.ChangeHousehold(i, tuple(b["household"]), at)),
    "move": (s.MoveBody, lambda b: lambda i, at: e.MoveElder(i, b["home_area_code"], at)),
}
