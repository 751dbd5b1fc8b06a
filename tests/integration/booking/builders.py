"""Helpers of the booking integration tests: an area tree, a facility registered in the registry
whose capacity booking has heard of, elders registered in the registry whom booking has heard of,
calls into a running container."""
import itertools
from datetime import date, datetime, timedelta

from shared.http_api import NotFound
from services.booking.domain.catalogue import LOCAL
from services.booking.elders import is_known
from services.registry.domain.identity import check_digit
from tests.e2e.test_registry_api import TREE  # noqa: F401 (the booking tests' area tree too)
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of

VILLAGE = "210402003001"
_BORN = date(1935, 1, 1)
_serials = itertools.count()


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


def _id_number(serial: int) -> tuple[str, str]:
    """A valid ID number (and birth date) of its own for each elder a test registers: a man's (odd
    sequence digit) born on a day of his own."""
    born = _BORN + timedelta(days=serial // 500)
    first17 = f"210402{born:%Y%m%d}{(serial % 500) * 2 + 1:03d}"
    return first17 + check_digit(first17), born.isoformat()


def register_elders(registry, booking, count: int, area: str = VILLAGE) -> list[str]:
    """``count`` elders registered in the registry, once ``booking`` has heard of them all."""
    ids = []
    for _ in range(count):
        id_number, born = _id_number(next(_serials))
        ids.append(call(registry, "register_elder", {
            "id_number": id_number, "name": "王秀英", "sex": "male", "birth_date": born,
            "home_area_code": area, "household": ["empty_nest"]})["elder_id"])
    wait_for(lambda: all(knows_elder(booking, elder_id) for elder_id in ids), message="booking to hear of the elders")
    return ids


def knows_elder(booking, elder_id: str) -> bool:
    with store_of(booking).engine.connect() as conn:
        return is_known(conn, elder_id)
