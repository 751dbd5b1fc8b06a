"""The tier tree as data (shared/links.py) and the chain rule of a link (shared/sync_link.py):
config validation that names the field, where an area's home node is, what crosses each link."""
import copy

import pytest

from shared.config import DEFAULTS, ConfigError, merge
from shared.links import Neighbour, Topology
from shared.node import Node, Tier
from shared.sync_link import chain_step

TOWN = {"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"}
PARENT = {"id": "xinfu", "area_code": "210402", "amqp_uri": "amqp://xinfu-s03:secret@district-host/xinfu"}
C001 = {"id": "xinfu-s03-c001", "area_code": "210402003001"}
C002 = {"id": "xinfu-s03-c002", "area_code": "210402003002", "broker_user": "yongan-2"}
S03, YONGAN = {"id": "xinfu-s03", "area_code": "210402003"}, {"id": "yongan", "area_code": "210402003001"}


def config_with(node=TOWN, **sync):
    config = copy.deepcopy(DEFAULTS)
    merge(config, {"ELDERNET": {"node": node, "sync": sync}})
    return config


def config_error(**sync) -> str:
    with pytest.raises(ConfigError) as error:
        Topology.from_config(config_with(**sync))
    return str(error.value)


@pytest.fixture
def town():
    """A town with its district above and two of its villages below (a third village has no node)."""
    return Topology.from_config(config_with(parent=PARENT, children=[C001, C002]))


# -- reading the config ---------------------------------------------------------------------------
def test_a_town_with_its_parent_and_children(town):
    assert town.node == Node("xinfu-s03", Tier.TOWN, "210402003", parent="xinfu")
    assert town.parent == Neighbour("xinfu", "210402", broker_user="xinfu", amqp_uri=PARENT["amqp_uri"])
    assert town.children == (
        Neighbour("xinfu-s03-c001", "210402003001", broker_user="xinfu-s03-c001"),
        Neighbour("xinfu-s03-c002", "210402003002", broker_user="yongan-2"))
    assert town.child_by_user("yongan-2").id == "xinfu-s03-c002"
    assert town.child_by_user("xinfu-s03-c002") is None and town.child_by_user(None) is None


def test_the_first_form_takes_the_parents_id_and_area_from_the_node():
    topology = Topology.from_config(config_with(parent_amqp_uri="amqp://u:p@district-host/xinfu"))
    assert topology.parent == Neighbour("xinfu", "210402", broker_user="xinfu",
                                        amqp_uri="amqp://u:p@district-host/xinfu")
    assert topology.children == ()


def test_the_full_parent_entry_wins_over_the_first_form():
    topology = Topology.from_config(config_with(parent=PARENT, parent_amqp_uri="amqp://old@host/x"))
    assert topology.parent.amqp_uri == PARENT["amqp_uri"]


def test_a_node_without_sync_config_has_no_neighbours():
    topology = Topology.from_config(config_with())
    assert (topology.parent, topology.children) == (None, ())


def test_a_city_declares_only_children():
    city = {"id": "fushun", "tier": "city", "area_code": "2104"}
    topology = Topology.from_config(config_with(node=city, children=[{"id": "xinfu", "area_code": "210402"}]))
    assert topology.parent is None and [c.id for c in topology.children] == ["xinfu"]


@pytest.mark.parametrize("parent,path", [
    ({"id": "xinfu", "area_code": "210402"}, "sync.parent.amqp_uri"),
    ({"id": "xinfu", "area_code": "210402", "amqp_uri": ""}, "sync.parent.amqp_uri"),
    (dict(PARENT, id="wanghua"), "sync.parent.id 'wanghua'"),
    (dict(PARENT, id=""), "sync.parent.id"),
    (dict(PARENT, area_code="210403"), "sync.parent.area_code '210403'"),
    (dict(PARENT, area_code="210402003"), "sync.parent.area_code '210402003'"),
    (dict(PARENT, area_code="21040200300"), "sync.parent.area_code '21040200300'"),
    (dict(PARENT, area_code="xinfu"), "sync.parent.area_code 'xinfu'"),
    ("amqp://xinfu@host/xinfu", "sync.parent"),
])
def test_a_bad_parent_entry_is_named(parent, path):
    assert config_error(parent=parent).startswith(path)


def test_a_parent_that_node_parent_does_not_name_is_refused():
    assert "node.parent says 'xinfu'" in config_error(parent=dict(PARENT, id="wanghua"))


def test_a_city_with_the_first_form_of_parent_config_is_named():
    """A city has no parent: a parent URI in its config is a config error, not a crash."""
    city = {"id": "fushun", "tier": "city", "area_code": "2104"}
    with pytest.raises(ConfigError) as error:
        Topology.from_config(config_with(node=city, parent_amqp_uri="amqp://u:p@province/liaoning"))
    assert str(error.value).startswith("sync.parent")


@pytest.mark.parametrize("children,path", [
    ([{"id": "far", "area_code": "210403001001"}], "sync.children[0].area_code '210403001001'"),
    ([{"id": "above", "area_code": "210402"}], "sync.children[0].area_code '210402'"),
    ([{"id": "itself", "area_code": "210402003"}], "sync.children[0].area_code '210402003'"),
    ([C001, dict(C002, id=C001["id"], broker_user="u2")], "sync.children[1]: id and broker_user"),
    ([C001, dict(C002, broker_user=C001["id"])], "sync.children[1]: id and broker_user"),
    ([C001, {"area_code": "210402003002"}], "sync.children[1].id"),
    ([{"id": "c1", "area_code": ""}], "sync.children[0].area_code ''"),
    ([{"id": "c1"}], "sync.children[0].area_code ''"),
    (["xinfu-s03-c001"], "sync.children[0]"),
])
def test_a_bad_child_entry_is_named(children, path):
    assert config_error(parent=PARENT, children=children).startswith(path)


@pytest.mark.parametrize("first,second", [(S03, YONGAN), (YONGAN, S03)])
def test_children_whose_areas_overlap_are_refused(first, second):
    """An area has one home node: a town and a village inside it cannot both be children."""
    district = {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"}
    with pytest.raises(ConfigError) as error:
        Topology.from_config(config_with(node=district, children=[first, second]))
    assert str(error.value).startswith(f"sync.children[1].area_code {second['area_code']!r}: overlaps child "
                                       f"{first['id']!r}")


@pytest.mark.parametrize("area_code", ["21040200300", "2104020030011", "２１０４０２００３００１"])
def test_a_child_area_that_is_not_a_gbt_2260_code_is_named(area_code):
    """Digits alone are not an area code: 2, 4, 6, 9 or 12 ASCII digits (shared/events.py)."""
    message = config_error(children=[{"id": "c9", "area_code": area_code}])
    assert message.startswith(f"sync.children[0].area_code {area_code!r}")


# -- the home node of an area ---------------------------------------------------------------------
@pytest.mark.parametrize("area_code,home", [
    ("210402003001", "xinfu-s03-c001"),     # a child's own area
    ("210402003002", "xinfu-s03-c002"),
    ("210402003", "xinfu-s03"),             # this node's own area
    ("210402003003", "xinfu-s03"),          # a village of this town that runs no node
    ("210402004", "xinfu"),                 # a sibling town: the parent's side
    ("210402004001", "xinfu"),
    ("210402", "xinfu"),                    # an enclosing area
    ("2104", "xinfu"),
    ("3701", "xinfu"),                      # another city altogether
])
def test_home_of_an_area(town, area_code, home):
    assert town.home_of(area_code) == home


def test_without_a_parent_every_area_outside_is_homed_here():
    city = Topology.from_config(config_with(node={"id": "fushun", "tier": "city", "area_code": "2104"},
                                            children=[{"id": "xinfu", "area_code": "210402"}]))
    assert [city.home_of(code) for code in ("3701", "21", "2104", "210403", "210402001")] == \
        ["fushun", "fushun", "fushun", "fushun", "xinfu"]


# -- what crosses a link --------------------------------------------------------------------------
@pytest.mark.parametrize("area_code,origin_area,up", [
    ("210402003", "210402003", True),         # recorded here about this town
    ("210402003001", "210402003001", True),   # forwarded by a child
    ("210402003001", None, True),             # recorded before events carried their origin
    ("210402003001", "210402003", True),      # recorded here about a child's area
    ("210402003001", "2104", False),          # came down from the city: never back up
    ("210402003", "210402", False),
    ("2104", "210402003", False),             # about the city: not this node's to forward
    ("210402004", "210402003", False),
])
def test_goes_up(town, area_code, origin_area, up):
    assert town.goes_up(area_code, origin_area) is up


@pytest.mark.parametrize("area_code,origin_area,down", [
    ("210402003001", "210402003", True),      # about the child, recorded here
    ("210402003001", "2104", True),           # about the child, from the city
    ("210402003001", None, True),
    ("2104", "2104", True),                   # reference data of an enclosing area
    ("21", "2104", True),
    ("210402", "210402", True),
    ("210402003", "210402003", True),
    ("210402003001", "210402003001", False),  # recorded in the child's subtree: it has it already
    ("210402003", "210402003001", False),
    ("2104", "210402003001", False),
    ("210402003002", "210402003", False),     # a sibling's area
    ("210402003003", "210402003", False),
    ("210402004", "210402", False),           # a sibling town's area
    ("3701", "3701", False),
])
def test_goes_down_to_the_first_child(town, area_code, origin_area, down):
    assert Topology.goes_down(town.children[0], area_code, origin_area) is down


# -- the chain rule -------------------------------------------------------------------------------
@pytest.mark.parametrize("have,prev,pos,step", [
    (0, 0, 1, "apply"),          # the first message of a link
    (7, 7, 9, "apply"),          # the next one (positions of other links' events skipped)
    (7, 3, 9, "apply"),          # prev < have < pos: the sender's choice changed; all before is here
    (7, 0, 8, "apply"),
    (9, 7, 9, "duplicate"),      # the one just applied, again
    (9, 3, 5, "duplicate"),      # a re-sent batch after a cursor reset
    (5, 7, 9, "gap"),            # 6..7 were lost on the way
    (0, 2, 3, "gap"),
])
def test_chain_step(have, prev, pos, step):
    assert chain_step(have, prev, pos) == step


def test_an_event_without_origin_area_goes_up_and_is_taken_as_the_childs_own():
    """Events from before originarea existed: the uplink sends them and the parent's rule agrees."""
    from shared.links import Neighbour
    from shared.node import Node, Tier

    village = Node("xinfu-s03-c001", Tier.VILLAGE, "210402003001", parent="xinfu-s03")
    assert not village.contains(None)  # no crash on a missing area
    parent = Neighbour("xinfu-s03", "210402003", "xinfu-s03", amqp_uri="amqp://x@h/v")
    assert Topology(village, parent).goes_up("210402003001", None)


# -- re-coded areas (a village moved to another town; shared/recoding.py) --------------------------
MOVED_IN = {"id": "xinfu-s03-c007", "area_code": "210402003007", "former_area_codes": ["210402004002"]}
MOVED_VILLAGE = {"id": "xinfu-s03-c007", "tier": "village", "area_code": "210402003007", "parent": "xinfu-s03",
                 "former_area_codes": ["210402004002"]}


@pytest.fixture
def new_town():
    """The town a village moved into from the town 210402004 (its old code 210402004002)."""
    return Topology.from_config(config_with(parent=PARENT, children=[C001, MOVED_IN]))


def test_a_moved_villages_old_code_is_its_own_at_the_new_town(new_town):
    moved = new_town.children[1]
    assert moved.former_area_codes == ("210402004002",) and moved.prefixes == ("210402003007", "210402004002")
    assert new_town.home_of("210402004002") == "xinfu-s03-c007"  # records under the old code
    assert new_town.subtree == ("210402003", "210402004002")
    assert new_town.goes_up("210402004002", "210402004002")  # its old-coded history goes up this way
    assert not new_town.goes_up("210402004003", "210402004003")  # its old neighbours' do not


def test_the_old_code_goes_down_to_the_moved_village_with_the_tree_above_it(new_town):
    moved = new_town.children[1]
    assert Topology.goes_down(moved, "210402004002", "210402")  # written above under the old code
    assert Topology.goes_down(moved, "210402004", "2104")  # the old town's record: the old code refers to it
    assert not Topology.goes_down(moved, "210402004002", "210402004002")  # recorded by the village itself
    assert not Topology.goes_down(moved, "210402004003", "210402")


def test_the_longest_code_wins_when_a_child_town_lost_a_village_to_another():
    district = Topology.from_config(config_with(
        node={"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
        children=[{"id": "s04", "area_code": "210402004"},
                  {"id": "s03", "area_code": "210402003", "former_area_codes": ["210402004002"]}]))
    assert district.home_of("210402004002") == "s03" and district.home_of("210402004003") == "s04"


def test_a_recoding_learnt_from_the_store_homes_the_old_code_by_the_new_one():
    old_town = Topology.from_config(config_with(
        node={"id": "xinfu-s04", "tier": "town", "area_code": "210402004", "parent": "xinfu"}, parent=PARENT))
    assert old_town.home_of("210402004002") == "xinfu-s04"  # before it learns of the move: its own
    old_town.recoded["210402004002"] = "210402003007"
    assert old_town.current_code("210402004002") == "210402003007"
    assert old_town.home_of("210402004002") == "xinfu"  # written elsewhere: the way is up
    old_town.recoded["210402003007"] = "210402004002"  # bad data (a cycle) must not hang
    assert old_town.current_code("210402004002") in ("210402004002", "210402003007")


def test_a_moved_village_node_holds_its_old_code():
    village = Topology.from_config(config_with(node=MOVED_VILLAGE, parent=S03 | {"amqp_uri": "amqp://x@h/s03"}))
    assert village.node.prefixes == ("210402003007", "210402004002")
    assert village.node.contains("210402004002") and village.home_of("210402004002") == "xinfu-s03-c007"


@pytest.mark.parametrize("former, message", [
    ("210402004002", "expected a list of area codes"),
    (["2104x"], "sync.children[0].former_area_codes[0] '2104x': a GB/T 2260 area code is required"),
    (["210402003007"], "must not overlap the area's current code 210402003007"),
    (["210402"], "must not overlap the area's current code 210402003007"),
])
def test_a_bad_former_code_is_refused_naming_the_field(former, message):
    assert message in config_error(children=[{**MOVED_IN, "former_area_codes": former}])


def test_a_bad_former_code_of_the_node_itself_is_refused_naming_the_field():
    with pytest.raises(ConfigError, match=r"node.former_area_codes\[0\] 'x': a GB/T 2260"):
        Topology.from_config(config_with(node={**MOVED_VILLAGE, "former_area_codes": ["x"]}))
