"""A single record moving to an area whose home is another node (issue #4, shared/record_handoff.py):
an elder moves from a community under one street to a community under another street, each run by
its own node. The old home records the move and the hand-off; the district, where the two paths
part, sends the record's history down the new path; the new home then writes the record, its
updates flow up the new path, the old home refuses and names the way — and the elder can move back."""
import uuid

import pytest

from shared.aggregate import Rejected
from shared.local_network import LocalNetwork
from services.registry import queries
from services.registry.service import RegistryService
from tests.integration.booking.builders import _id_number  # a valid ID number per elder
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of

OLD_HOME, NEW_HOME = "210402003001", "210402004009"
TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": OLD_HOME, "name": "永安社区", "tier": "village", "parent": "210402003"},
        {"code": "210402004", "name": "南阳街道", "tier": "town", "parent": "210402"},
        {"code": NEW_HOME, "name": "南阳社区", "tier": "village", "parent": "210402004"}]
NODES = ("xinfu", "xinfu-s03", "xinfu-s03-c001", "xinfu-s04", "xinfu-s04-c009")


@pytest.fixture
def nodes(node_config, tmp_path, container_factory):
    net = LocalNetwork(node_config, tmp_path, prefix=f"eldernet-test-{uuid.uuid4().hex[:6]}")
    net.add("xinfu", "district", "210402", upstream="fushun")
    net.add("xinfu-s03", "town", "210402003", parent="xinfu")
    net.add("xinfu-s03-c001", "village", OLD_HOME, parent="xinfu-s03")
    net.add("xinfu-s04", "town", "210402004", parent="xinfu")
    net.add("xinfu-s04-c009", "village", NEW_HOME, parent="xinfu-s04")
    containers = {n: container_factory(RegistryService, net.config(n)) for n in NODES}
    for container in containers.values():
        container.start()
    call(containers["xinfu"], "import_areas", TREE)
    for village, code in (("xinfu-s03-c001", OLD_HOME), ("xinfu-s04-c009", NEW_HOME)):
        wait_for(lambda: store_of(containers[village]).stream_version(f"area-{code}") == 1, timeout=30,
                 message=f"the area tree down at {village}")
    yield containers
    for container in containers.values():
        container.stop()
    net.close()


def types_in(container, stream_id):
    return [e.type.rsplit(".", 1)[1] for e in store_of(container).read_stream(stream_id)]


def elder_area(container, elder_id):
    """Where the node's read model has the elder living."""
    with store_of(container).engine.connect() as conn:
        row = queries.get_elder(conn, elder_id)
    return row and row["home_area_code"]


def test_an_elder_moving_to_another_nodes_community_takes_the_record_along(nodes):
    id_number, born = _id_number(7001)
    old_home, new_home, district = nodes["xinfu-s03-c001"], nodes["xinfu-s04-c009"], nodes["xinfu"]
    elder_id = call(old_home, "register_elder", {
        "id_number": id_number, "name": "王秀英", "sex": "male", "birth_date": born,
        "home_area_code": OLD_HOME, "household": ["empty_nest"]})["elder_id"]
    stream = f"elder-{elder_id}"
    call(old_home, "change_elder", elder_id, "household", {"household": ["living_alone"]})
    assert store_of(new_home).stream_version(stream) == 0  # a record of another street's community

    call(old_home, "change_elder", elder_id, "move", {"home_area_code": NEW_HOME})
    assert types_in(old_home, f"moved-{stream}@3") == ["RecordHandedOver"]  # recorded, explicit
    wait_for(lambda: types_in(new_home, stream) == ["ElderRegistered", "HouseholdChanged", "ElderMoved"],
             timeout=30, message="the record's history down the new path")
    assert types_in(district, f"moved-{stream}@3:down") == ["RecordHandedOver"]  # where the paths part
    assert types_in(nodes["xinfu-s04"], stream) == ["ElderRegistered", "HouseholdChanged", "ElderMoved"]
    assert elder_area(new_home, elder_id) == NEW_HOME
    ids = [e.id for e in store_of(new_home).read_stream(stream)]
    assert ids == [e.id for e in store_of(old_home).read_stream(stream)]  # the same events, ids kept

    # The old home no longer writes the record; the new one does, and its update goes up its path.
    with pytest.raises(Rejected, match="home node xinfu-s03"):
        call(old_home, "change_elder", elder_id, "household", {"household": ["empty_nest"]})
    call(new_home, "change_elder", elder_id, "household", {"household": ["minimum_living_allowance"]})
    wait_for(lambda: types_in(district, stream)[-1:] == ["HouseholdChanged"] and len(types_in(district, stream)) == 4,
             timeout=30, message="the new home's update at the district, up the new path")
    assert types_in(nodes["xinfu-s04"], stream)[-1] == "HouseholdChanged"
    assert store_of(old_home).stream_version(stream) == 3  # the old path keeps the record as it left

    # And back again: the district sends the versions written meanwhile down the old path.
    call(new_home, "change_elder", elder_id, "move", {"home_area_code": OLD_HOME})
    wait_for(lambda: store_of(old_home).stream_version(stream) == 5, timeout=30,
             message="the versions written at the new home, down to the old one")
    call(old_home, "change_elder", elder_id, "household", {"household": ["empty_nest"]})
    wait_for(lambda: store_of(district).stream_version(stream) == 6, timeout=30,
             message="the old home writes again, up its path")
    for container in nodes.values():  # every event stored once at every node, nothing held
        events = store_of(container).read_all(0, 10_000)
        assert len({e.id for e in events}) == len(events)
    assert elder_area(district, elder_id) == OLD_HOME


def test_a_child_cannot_slip_a_history_in_with_a_hand_off(nodes):
    """A down copy carries a history; a child may send one up only when it holds nothing new."""
    from shared.record_handoff import carried, handed_over_type
    from shared.events import Event
    town = nodes["xinfu-s04"]
    forged = Event(type="eldernet.registry.ElderRegistered", source="x", subject="elder-forged",
                   data={}, stream_id="elder-forged", stream_version=1, origin_node="xinfu-s04-c009",
                   origin_area=NEW_HOME, area_code=NEW_HOME)
    handoff = Event(type=handed_over_type("registry"), source="y", subject="moved-elder-forged@1:down",
                    data={"record": "elder-forged", "version": 1, "from_area": OLD_HOME, "to_area": NEW_HOME,
                          "history": [forged.to_cloudevent()]},
                    stream_id="moved-elder-forged@1:down", stream_version=1, origin_node="xinfu-s04-c009",
                    origin_area=NEW_HOME, area_code=NEW_HOME)
    assert [e.id for e in carried(handoff, "registry")] == [forged.id]
    intake = next(e for e in town.entrypoints if type(e).__name__ == "ChildrenIntake")
    child = intake.topology.children[0]
    assert "carries a history" in intake.link_refusal(child, handoff)


def test_a_facility_in_the_part_of_a_split_area_goes_to_the_new_areas_node(nodes):
    """The street wrote a day-care centre in its own area; the area is split and the centre lies in
    the community that now runs its own node: the street hands it down (the paths part at the
    street itself), and the community writes it from then on."""
    town, village, district = nodes["xinfu-s03"], nodes["xinfu-s03-c001"], nodes["xinfu"]
    body = {"kind": "day_care_centre", "name": "永安日间照料中心", "area_code": "210402003",
            "ownership": "public", "capacity": {"day_places": 20}}
    facility_id = call(town, "register_facility", body)["facility_id"]
    stream = f"facility-{facility_id}"
    assert store_of(village).stream_version(stream) == 0  # the street's own record: not the community's

    call(town, "change_facility", facility_id, "move", {"area_code": OLD_HOME})
    assert types_in(town, f"moved-{stream}@2:down") == ["RecordHandedOver"]
    wait_for(lambda: types_in(village, stream) == ["FacilityRegistered", "FacilityMoved"], timeout=30,
             message="the facility's history down at the community")
    with pytest.raises(Rejected, match="home node xinfu-s03-c001"):
        call(town, "change_facility", facility_id, "suspend", {"reason": "x"})
    call(village, "change_facility", facility_id, "suspend", {"reason": "no staff"})
    wait_for(lambda: types_in(district, stream) == ["FacilityRegistered", "FacilityMoved", "FacilitySuspended"],
             timeout=30, message="the community's update up at the district")
    with store_of(village).engine.connect() as conn:
        assert queries.get_facility(conn, facility_id)["area_code"] == OLD_HOME
