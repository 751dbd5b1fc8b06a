"""The registry as a nameko service on the real broker and database: commands through RPC, read
models and statistics, ID numbers kept out of events and read models, and a rebuild from the
store giving the same statistics as the live projections."""
import json
import uuid

import pytest

from shared.aggregate import Rejected
from shared.schemas import PayloadError
from services.registry.domain import identity
from services.registry.service import RegistryService
from tests.support.nodes import call, provider_of


def make_id(born="19400101", seq="011"):
    first17 = "210402" + born + seq
    return first17 + identity.check_digit(first17)


@pytest.fixture
def registry(container_factory, node_config):
    container = container_factory(RegistryService, node_config)
    container.start()
    return container


def load_small_network(registry):
    call(registry, "import_areas", [
        {"code": "2104", "name": "抚顺市", "tier": "city", "parent": None},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"},
        {"code": "210402003002", "name": "南阳社区", "tier": "village", "parent": "210402003"},
    ])
    home = call(registry, "register_facility", {
        "kind": "nursing_home", "name": "新抚区敬老院", "area_code": "210402003", "ownership": "public",
        "care_type": "nursing", "capacity": {"general_beds": 2, "nursing_beds": 3}, "services": ["full_time_care"]})
    call(registry, "register_facility", {
        "kind": "day_care_centre", "name": "永安社区日间照料中心", "area_code": "210402003001",
        "ownership": "public_built_private_run", "capacity": {"day_places": 30}})
    for n, born in enumerate(["19400101", "19450505", "19600101", "19201231"]):
        call(registry, "register_elder", {
            "id_number": make_id(born, f"{n:02d}1"), "name": f"老人{n}", "sex": "male",
            "birth_date": f"{born[:4]}-{born[4:6]}-{born[6:]}", "home_area_code": "210402003001"})
    for n in range(3):
        call(registry, "change_facility", home["facility_id"], "admit", {"elder_id": str(uuid.uuid4())})
    return home


def test_statistics_roll_up_the_tree(registry):
    load_small_network(registry)
    stats = call(registry, "statistics", "2104", "2026-11-23")
    assert stats["elders"] == {"60+": 4, "80+": 3, "100+": 1}
    assert stats["beds"] == 5 and stats["nursing_beds"] == 3 and stats["residents"] == 3
    assert stats["beds_per_1000_elders"] == 1250.0 and stats["occupancy_percent"] == 60.0
    assert stats["facilities_by_kind"] == {"day_care_centre": 1, "nursing_home": 1}
    assert stats["community_coverage_percent"] == {"urban": 50.0, "rural": None}
    assert call(registry, "statistics", "210402003002", "2026-11-23")["elders"]["60+"] == 0


def test_id_numbers_stay_out_of_events_and_read_models(registry):
    load_small_network(registry)
    provider = provider_of(registry)
    stored = json.dumps([e.to_cloudevent() for e in provider.store.read_all(0, 10_000)], ensure_ascii=False)
    number = make_id("19400101", "001")
    assert number not in stored and "2104**********" in stored
    with provider.store.engine.connect() as conn:
        from services.registry.projections import elders
        rows = conn.execute(elders.select()).mappings().all()
    assert all("*" in row["id_number_masked"] for row in rows) and number not in repr(rows)


def test_a_second_registration_of_the_same_person_is_refused(registry):
    load_small_network(registry)
    with pytest.raises(Rejected) as error:
        call(registry, "register_elder", {"id_number": make_id("19400101", "001"), "name": "又一个", "sex": "male",
                                          "birth_date": "1940-01-01", "home_area_code": "210402003002"})
    assert error.value.field == "id_number" and "already registered" in str(error.value)


def test_bad_input_names_the_field_and_stores_nothing(registry):
    load_small_network(registry)
    provider = provider_of(registry)
    head = provider.store.head_position()
    with pytest.raises(PayloadError) as error:
        call(registry, "register_facility", {"kind": "nursing_home", "name": "x", "area_code": "210402003",
                                             "ownership": "public", "capacity": {"general_beds": "many"}})
    assert error.value.fields == ["capacity.general_beds"]
    with pytest.raises(Rejected) as error:
        call(registry, "register_facility", {"kind": "nursing_home", "name": "x", "area_code": "210499001",
                                             "ownership": "public", "capacity": {"general_beds": 1}})
    assert error.value.field == "area_code"
    assert provider.store.head_position() == head


def test_a_rebuild_from_the_store_gives_the_same_statistics(registry):
    load_small_network(registry)
    live = call(registry, "statistics", "2104", "2026-11-23")
    provider = provider_of(registry)
    for name in ("areas", "facilities", "elders"):
        provider.projections.rebuild(name)
    assert call(registry, "statistics", "2104", "2026-11-23") == live
