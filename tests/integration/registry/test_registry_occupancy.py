"""A facility's residents in the registry follow booking's admissions, through the real broker: an
elder checked in for an admission is counted, and no longer once the stay is delivered; a respite
stay counts nobody; the statistics' occupancy follows; a facility that is not open takes nobody in."""
import pytest
import sqlalchemy as sa

from services.booking.service import BookingService
from services.registry import occupancy
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, call, days_ahead, register_elders, register_facility
from tests.support.broker import wait_for
from tests.support.nodes import store_of


@pytest.fixture
def node(container_factory, node_config):
    booking = container_factory(BookingService, node_config)
    booking.start()
    registry = container_factory(RegistryService, node_config)
    registry.start()
    call(registry, "import_areas", TREE)
    return registry, booking


def stay_from_today(booking, facility_id, elder_id, service):
    made = call(booking, "request_booking", {"elder_id": elder_id, "facility_id": facility_id, "service": service,
                                             "when": {"day": days_ahead(0), "until": days_ahead(30)}})
    assert made["status"] == "confirmed", made
    return call(booking, "change_booking", made["booking_id"], "check_in")["booking_id"]


def test_an_admission_counts_a_resident_until_it_is_delivered(node):
    registry, booking = node
    home = register_facility(registry, booking, capacity={"general_beds": 4})
    admitted, visiting = register_elders(registry, booking, 2)
    staying = stay_from_today(booking, home, admitted, "admission")
    stay_from_today(booking, home, visiting, "respite_care")  # a visit: the elder lives at home

    wait_for(lambda: call(registry, "statistics", "210402003")["residents"] == 1, message="the resident counted")
    assert call(registry, "statistics", "210402003")["occupancy_percent"] == 25.0

    call(booking, "change_booking", staying, "deliver", {"units": 30})
    wait_for(lambda: call(registry, "statistics", "210402003")["residents"] == 0, message="the discharge counted")
    types = [e.type.rsplit(".", 1)[1] for e in store_of(registry).read_stream(f"facility-{home}")]
    assert types.count("ResidentAdmitted") == types.count("ResidentDischarged") == 1


def stay_row(registry, booking_id):
    with store_of(registry).engine.connect() as conn:
        return conn.execute(sa.select(occupancy.stays).where(occupancy.stays.c.booking_id == booking_id)) \
            .mappings().first()


def test_a_facility_that_is_not_open_takes_no_resident_and_its_stays_end_discharging_nobody(node):
    registry, booking = node
    home = register_facility(registry, booking, capacity={"general_beds": 4})
    (elder_id,) = register_elders(registry, booking, 1)
    made = call(booking, "request_booking", {"elder_id": elder_id, "facility_id": home, "service": "full_time_care",
                                             "when": {"day": days_ahead(0), "until": days_ahead(30)}})
    call(registry, "change_facility", home, "suspend", {"reason": "消防整改"})
    call(booking, "change_booking", made["booking_id"], "check_in")  # confirmed before: the elder comes all the same
    wait_for(lambda: stay_row(registry, made["booking_id"]), message="the registry to hear of the check-in")
    assert stay_row(registry, made["booking_id"])["admitted"] is False
    call(booking, "change_booking", made["booking_id"], "deliver", {"units": 30})
    wait_for(lambda: stay_row(registry, made["booking_id"])["ended"], message="the registry to hear of the end")
    types = [e.type.rsplit(".", 1)[1] for e in store_of(registry).read_stream(f"facility-{home}")]
    assert "ResidentAdmitted" not in types and "ResidentDischarged" not in types
    assert call(registry, "statistics", "210402003")["residents"] == 0
