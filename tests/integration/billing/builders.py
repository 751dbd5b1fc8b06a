"""Helpers of the billing integration tests: a policy file, an elder the registry assessed, a canteen
booking has the seats of, a meal booked, checked in and delivered through the booking service."""
import uuid

from shared.aggregate import Rejected
from shared.http_api import NotFound
from services.billing.intake import today as local_today
from services.registry.domain import identity
from tests.support.broker import wait_for
from tests.support.nodes import call


def policy_file(set_by: str, rate_fen: int = 1200, policy_id: str = "home-care") -> dict:
    """Government-purchased home care (DOMAIN.md): 60+ disabled or partly disabled, and all 80+;
    meals at ``rate_fen`` a meal, the elder pays 10 %, at most 400 yuan of subsidy a month."""
    return {"policies": [{
        "id": policy_id, "version": 1, "name": "政府购买居家养老服务", "set_by": set_by,
        "eligible": [{"min_age": 60, "disability_levels": ["partly_disabled", "fully_disabled"]}, {"min_age": 80}],
        "services": {"meals": {"unit": "meals", "rate_fen": rate_fen}},
        "monthly_cap_fen": 40000, "copay_share": "10%", "budget_line": "home-care-purchase",
        "effective_from": "2026-01-01"}]}


def register_elder(registry, home_area: str, seq: int = 1, elder_id: str | None = None) -> str:
    """An elder born in 1940, partly disabled (moderate), living in ``home_area``."""
    first17 = "210402" + "19400101" + f"{seq:02d}1"  # odd: a man
    elder = call(registry, "register_elder", {
        "id_number": first17 + identity.check_digit(first17), "name": f"老人{seq}", "sex": "male",
        "birth_date": "1940-01-01", "home_area_code": home_area, "elder_id": elder_id})
    call(registry, "change_elder", elder["elder_id"], "assess", {
        "level": "partly_disabled", "severity": "moderate", "assessed_on": "2026-01-05",
        "valid_until": "2027-01-04", "assessor": "区评估中心"})
    return elder["elder_id"]


def today() -> str:
    """Bookings are for today, Beijing time (a booking in the past is refused)."""
    return local_today().isoformat()


def register_canteen(registry, booking, area: str) -> str:
    """A community canteen with ten seats, once booking has heard of its meals pool."""
    facility_id = call(registry, "register_facility", {
        "kind": "canteen", "name": "永安社区老年食堂", "area_code": area, "ownership": "public",
        "capacity": {"canteen_seats": 10}, "services": ["meals"]})["facility_id"]

    def has_meals():
        try:
            pools = call(booking, "schedule", facility_id, today(), today())["pools"]
        except NotFound:
            return False
        return any(p["pool"] == "meals" for p in pools)
    wait_for(has_meals, message="booking to hear of the canteen's seats")
    return facility_id


def deliver_meal(booking, facility_id: str, elder_id: str, units: int = 1) -> str:
    """A meal booked for today, checked in and delivered: the booking's id."""
    body = {"elder_id": elder_id, "facility_id": facility_id, "service": "meals", "when": {"day": today()},
            "booking_id": str(uuid.uuid4())}

    def request():
        try:
            return call(booking, "request_booking", body)
        except Rejected as refusal:  # booking has not heard of the elder from the registry yet
            if refusal.field != "elder_id":
                raise
            return None
    made = wait_for(request, message="booking to take the elder's request")
    assert made["status"] == "confirmed", made
    call(booking, "change_booking", made["booking_id"], "check_in")
    call(booking, "change_booking", made["booking_id"], "deliver", {"units": units})
    return made["booking_id"]


def knows_elder(billing, elder_id: str, area: str) -> bool:
    """Whether billing has the elder's record and assessment (a preview prices a meal for them)."""
    try:
        answer = call(billing, "preview_price", {"elder_id": elder_id, "area_code": area, "service": "meals",
                                                 "service_date": today(), "units": 1, "unit": "meals"})
    except Rejected:  # no record of the elder here yet
        return False
    return answer["eligible"]


def claim_of(billing, booking_id: str) -> dict | None:
    try:
        return call(billing, "get_claim", booking_id)
    except NotFound:
        return None


def statement_of(billing, area: str, month: str, facility_id=None) -> dict | None:
    try:
        return call(billing, "statement", area, month, facility_id)
    except NotFound:
        return None


def this_month() -> str:
    return today()[:7]

