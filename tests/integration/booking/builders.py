"""Helpers of the booking integration tests: an area tree, a facility registered in the registry
whose capacity booking has heard of, calls into a running container."""
from datetime import datetime, timedelta


from shared.http_api import NotFound
from services.booking.domain.catalogue import LOCAL
from tests.e2e.test_registry_api import TREE  # noqa: F401 (the booking tests' area tree too)
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of


def days_ahead(n: int) -> str:
    """A local day ``n`` days from today (bookings in the past are refused)."""
    return (datetime.now(LOCAL) + timedelta(days=n)).date().isoformat()


def pools_of(booking, facility_id, day):
    try:
        return {p["pool"]: p for p in call(booking, "schedule", facility_id, day, day)["pools"]}
    except NotFound:  # booking has not heard of the facility yet
        return {}


def register_facility(registry, booking, area="210402003", pool="beds", **changes):
    """A facility (by default a nursing home with two beds) registered in the registry, once booking
    has heard of its ``pool`` from the registry's events."""
    body = {"kind": "nursing_home", "name": "新抚区敬老院", "area_code": area, "ownership": "public",
            "care_type": "nursing", "capacity": {"general_beds": 1, "nursing_beds": 1},
            "services": ["full_time_care", "respite_care", "admission"]}
    body.update(changes)
    facility_id = call(registry, "register_facility", body)["facility_id"]
    wait_for(lambda: pool in pools_of(booking, facility_id, days_ahead(1)), message=f"booking to hear of {pool}")
    return facility_id
