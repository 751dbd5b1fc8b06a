"""A moved record's hand-off (shared/record_handoff.py), without I/O: when a move changes the home
node, where the old and new paths part, and what history a hand-off may carry."""
import pytest

from shared.events import Event
from shared.record_handoff import RecordHandedOver, carried, changes_home, handed_over_type, parts_here, stream_of
from tests.unit.test_sync_topology import C001, C002, PARENT, config_with
from shared.links import Topology

OWN_AREA = "210402003009"  # a community of the town that runs no node: the town writes it


@pytest.fixture
def town():
    return Topology.from_config(config_with(parent=PARENT, children=[C001, C002]))


@pytest.mark.parametrize("from_area, to_area, changes", [
    ("210402003001", "210402003002", True),    # between two of its villages' nodes
    (OWN_AREA, "210402003001", True),          # from its own community into a village's node
    ("210402003001", "210402004001", True),    # out of the town altogether
    (OWN_AREA, "210402003008", False),         # between two communities the town itself writes
])
def test_a_move_changes_home_only_when_another_node_writes_the_new_area(town, from_area, to_area, changes):
    assert changes_home(town, from_area, to_area) is changes


@pytest.mark.parametrize("from_area, to_area, parts", [
    ("210402003001", "210402003002", True),    # up from one village, down to the other: here
    (OWN_AREA, "210402003001", True),          # the old home is where the paths part
    ("210402003002", OWN_AREA, False),         # up to the town: nothing to send down
    ("210402004001", "210402003001", True),    # from another town: came down, goes on down here
    ("210402003001", "210402004001", False),   # out of the town: the paths part above
])
def test_the_paths_part_where_the_new_area_lies_in_another_child(town, from_area, to_area, parts):
    assert parts_here(town, RecordHandedOver("elder-1", 3, from_area, to_area)) is parts


def _event(stream_id, version=1, **changes):
    fields = dict(type="eldernet.registry.ElderRegistered", source="eldernet/xinfu-s03-c001/registry",
                  subject=stream_id, data={}, stream_id=stream_id, stream_version=version,
                  origin_node="xinfu-s03-c001", origin_area="210402003001", area_code="210402003001")
    return Event(**{**fields, **changes})


def _handoff(history, down=True):
    stream = stream_of("elder-1", len(history), down=down)
    return _event(stream, type=handed_over_type("registry"), data={
        "record": "elder-1", "version": len(history), "from_area": "210402003001", "to_area": "210402003002",
        "history": [e.to_cloudevent() for e in history]})


def test_a_down_copy_carries_the_records_history_with_ids_and_versions_kept():
    history = [_event("elder-1", 1), _event("elder-1", 2, type="eldernet.registry.ElderMoved")]
    assert [(e.id, e.stream_version, e.type) for e in carried(_handoff(history), "registry")] == \
        [(e.id, e.stream_version, e.type) for e in history]


def test_only_a_down_copy_of_this_services_hand_off_carries_anything():
    history = [_event("elder-1", 1)]
    assert carried(_handoff(history, down=False), "registry") == []
    assert carried(_handoff(history), "booking") == []
    assert carried(_event("elder-1"), "registry") == []


def test_a_history_with_another_records_events_is_refused():
    with pytest.raises(ValueError, match="events of other records"):
        carried(_handoff([_event("elder-1", 1), _event("facility-9", 2)]), "registry")
