"""Re-homing (issue #4): a village node joins under a town that has been writing the village's
records — the town hands them over with a recorded event, the history goes down before the
hand-off, the town stops writing there and the village's later updates keep flowing up; and a
village re-pointed to another parent sends it its history and goes on syncing."""
import uuid

import pytest
import sqlalchemy as sa

from shared.aggregate import Rejected
from shared.local_network import LocalNetwork
from services.registry.projections import facilities
from services.registry.service import RegistryService
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of

TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"}]
VILLAGE = "210402003001"


@pytest.fixture
def net(node_config, tmp_path):
    network = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    yield network
    network.close()


def types_in(container, stream_id):
    return [e.type.rsplit(".", 1)[1] for e in store_of(container).read_stream(stream_id)]


def facility(n):
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": VILLAGE,
            "ownership": "public", "capacity": {"day_places": 20}}


def test_a_village_node_joins_and_the_town_hands_its_records_over(net, container_factory):
    net.add("xinfu-s03", "town", "210402003")
    town = container_factory(RegistryService, net.config("xinfu-s03"))
    town.start()
    call(town, "import_areas", TREE)
    created = call(town, "register_facility", facility(1))  # no node in the village yet: the town writes
    stream = f"facility-{created['facility_id']}"
    call(town, "change_facility", created["facility_id"], "suspend", {"reason": "renovation"})
    town.stop()

    net.add("xinfu-s03-c001", "village", VILLAGE, parent="xinfu-s03")  # the village's node joins
    town = container_factory(RegistryService, net.config("xinfu-s03"))
    village = container_factory(RegistryService, net.config("xinfu-s03-c001"))
    town.start()
    village.start()
    assert types_in(town, f"handoff-{VILLAGE}") == ["HomeHandedOver"]  # recorded, explicit
    wait_for(lambda: types_in(village, f"handoff-{VILLAGE}") == ["HomeHandedOver"], timeout=30,
             message="the hand-off at the village")
    assert types_in(village, stream) == ["FacilityRegistered", "FacilitySuspended"]  # history before it

    with pytest.raises(Rejected, match="home node xinfu-s03-c001"):
        call(town, "change_facility", created["facility_id"], "reopen", {})
    call(village, "change_facility", created["facility_id"], "reopen", {})  # the new home writes
    wait_for(lambda: types_in(town, stream) == ["FacilityRegistered", "FacilitySuspended", "FacilityReopened"],
             timeout=30, message="the village's update up at the town")
    handoff = store_of(town).read_stream(f"handoff-{VILLAGE}")[0]
    assert handoff.data == {"area_code": VILLAGE, "from_node": "xinfu-s03", "to_node": "xinfu-s03-c001"}


def test_a_village_repointed_to_another_parent_goes_on_syncing(net, container_factory):
    net.add("xinfu", "district", "210402", upstream="fushun")
    net.add("xinfu-s03", "town", "210402003", parent="xinfu")
    net.add("xinfu-s03-c001", "village", VILLAGE, parent="xinfu-s03")
    nodes = {n: container_factory(RegistryService, net.config(n)) for n in ("xinfu", "xinfu-s03", "xinfu-s03-c001")}
    for container in nodes.values():
        container.start()
    call(nodes["xinfu"], "import_areas", TREE)
    wait_for(lambda: store_of(nodes["xinfu-s03-c001"]).stream_version(f"area-{VILLAGE}") == 1, timeout=30)
    first = call(nodes["xinfu-s03-c001"], "register_facility", facility(1))
    wait_for(lambda: store_of(nodes["xinfu"]).stream_version(f"facility-{first['facility_id']}") == 1, timeout=30)

    # The street's node is retired: the community links straight to the district.
    for container in nodes.values():
        container.stop()
    net.repoint("xinfu-s03-c001", "xinfu")
    net.retire("xinfu-s03")
    district = container_factory(RegistryService, net.config("xinfu"))
    village = container_factory(RegistryService, net.config("xinfu-s03-c001"))
    district.start()
    village.start()
    second = call(village, "register_facility", facility(2))
    wait_for(lambda: store_of(district).stream_version(f"facility-{second['facility_id']}") == 1, timeout=30,
             message="the village's new record at the district, over the new link")
    ids = [e.id for e in store_of(district).read_all(0, 10_000)]
    assert len(ids) == len(set(ids))  # the history sent again was recognised, not stored twice
    call(village, "change_facility", first["facility_id"], "suspend", {"reason": "no staff"})
    wait_for(lambda: types_in(district, f"facility-{first['facility_id']}")[-1] == "FacilitySuspended",
             timeout=30, message="later updates of the old record keep flowing")


MOVED_TO = "210402004009"  # the village's code once it belongs to another street (town)
MOVE_TREE = TREE + [{"code": "210402004", "name": "南阳街道", "tier": "town", "parent": "210402"},
                    {"code": MOVED_TO, "name": "永安社区", "tier": "village", "parent": "210402004"}]


def test_a_village_moved_to_another_town_hands_its_recoded_records_over(net, container_factory):
    names = ("xinfu", "xinfu-s03", "xinfu-s04", "xinfu-s03-c001")
    net.add("xinfu", "district", "210402", upstream="fushun")
    net.add("xinfu-s03", "town", "210402003", parent="xinfu")
    net.add("xinfu-s04", "town", "210402004", parent="xinfu")
    net.add("xinfu-s03-c001", "village", VILLAGE, parent="xinfu-s03")

    def start_all():
        started = {n: container_factory(RegistryService, net.config(n)) for n in names}
        for container in started.values():
            container.start()
        return started

    nodes = start_all()
    call(nodes["xinfu"], "import_areas", MOVE_TREE)
    wait_for(lambda: store_of(nodes["xinfu-s03-c001"]).stream_version(f"area-{VILLAGE}") == 1, timeout=30)
    moved = call(nodes["xinfu-s03-c001"], "register_facility", facility(1))
    stream = f"facility-{moved['facility_id']}"
    wait_for(lambda: store_of(nodes["xinfu"]).stream_version(stream) == 1, timeout=30)
    for container in nodes.values():
        container.stop()

    # The community moves to another street and gets a new code; every node restarts with the
    # new config (the village lists its old code, the nodes above it list it under the child).
    net.move("xinfu-s03-c001", "xinfu-s04", MOVED_TO)
    nodes = start_all()
    village, new_town, old_town, district = (nodes[n] for n in ("xinfu-s03-c001", "xinfu-s04", "xinfu-s03", "xinfu"))
    recode = f"recode-{VILLAGE}"
    assert types_in(village, recode) == ["AreaRecoded"]  # the hand-off, recorded at the area's node
    for container, where in ((new_town, "the new street"), (district, "the district"), (old_town, "the old street")):
        wait_for(lambda: types_in(container, recode) == ["AreaRecoded"], timeout=30,
                 message=f"the hand-off at {where}")
    assert store_of(district).read_stream(recode)[0].data == {
        "from_area": VILLAGE, "to_area": MOVED_TO, "node": "xinfu-s03-c001"}
    wait_for(lambda: types_in(new_town, stream) == ["FacilityRegistered"], timeout=30,
             message="the record's history at the new street (old-coded, up the new path)")

    with pytest.raises(Rejected, match="home node xinfu,"):  # the old street writes there no more
        call(old_town, "change_facility", moved["facility_id"], "suspend", {"reason": "x"})
    with pytest.raises(Rejected, match="home node xinfu-s04,"):  # the district knows the way down
        call(district, "change_facility", moved["facility_id"], "suspend", {"reason": "x"})

    call(village, "change_facility", moved["facility_id"], "suspend", {"reason": "no staff"})
    for container in (new_town, district):
        wait_for(lambda: types_in(container, stream) == ["FacilityRegistered", "FacilitySuspended"], timeout=30,
                 message="the moved record's later update keeps flowing, up the new path")
    ids = [e.id for e in store_of(district).read_all(0, 10_000)]
    assert len(ids) == len(set(ids))  # the history that came again by the new path is stored once
    assert types_in(old_town, stream)[0] == "FacilityRegistered"  # history is kept, never rewritten
    assert store_of(old_town).read_stream(stream)[0].area_code == VILLAGE
    for container in (village, new_town, old_town, district):  # read models show the new code
        assert facility_areas(container) == {moved["facility_id"]: MOVED_TO}


def facility_areas(container):
    with store_of(container).engine.connect() as conn:
        return dict(conn.execute(sa.select(facilities.c.facility_id, facilities.c.area_code)).all())
