"""Re-homing at the store (shared/handoff.py), on SQLite and PostgreSQL: which children a parent
hands records over to, and that a child does not write to a record that came from above before
the parent's hand-off has arrived."""
from datetime import datetime, timezone

import pytest

from shared import handoff
from shared.events import Event
from shared.links import Neighbour, Topology
from shared.node import Node, Tier
from shared.store import EventStore

AT = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)
TOWN = Node("xinfu-s03", Tier.TOWN, "210402003", parent="xinfu")
VILLAGE_NODE = Node("xinfu-s03-c001", Tier.VILLAGE, "210402003001", parent="xinfu-s03")
C001 = Neighbour("xinfu-s03-c001", "210402003001", "xinfu-s03-c001")
C002 = Neighbour("xinfu-s03-c002", "210402003002", "xinfu-s03-c002")
TOWN_AS_PARENT = Neighbour("xinfu-s03", "210402003", "xinfu-s03", amqp_uri="amqp://x@h/v")


def written(stream_id, version, area_code, origin_area, origin_node="xinfu-s03"):
    return Event(type="eldernet.registry.FacilityRegistered", source=f"/eldernet/{origin_node}/registry",
                 subject=stream_id, data={}, stream_id=stream_id, stream_version=version, origin_node=origin_node,
                 origin_area=origin_area, area_code=area_code, time=AT)


@pytest.fixture
def store(engine):
    store = EventStore(engine)
    store.create_schema()
    return store


def test_a_parent_hands_over_only_to_children_whose_area_holds_records_written_above(store):
    store.append("facility-a", 0, [written("facility-a", 1, "210402003001", "210402003")])  # by the town
    store.append("facility-b", 0, [written("facility-b", 1, "210402003002", "210402003002",
                                           origin_node="xinfu-s03-c002")])  # by c002 itself
    recorded = []
    topology = Topology(TOWN, None, (C001, C002))
    done = handoff.hand_over(store, topology, lambda *args: recorded.append(args))
    assert [h.to_node for h in done] == ["xinfu-s03-c001"]
    assert recorded[0][0] == "handoff-210402003001" and recorded[0][3] == "210402003001"
    store.append("handoff-210402003001", 0, [written("handoff-210402003001", 1, "210402003001", "210402003")])
    assert handoff.hand_over(store, topology, lambda *args: recorded.append(args)) == []  # once only


def test_a_child_waits_for_the_hand_off_before_writing_a_record_from_above(store):
    village = Topology(VILLAGE_NODE, TOWN_AS_PARENT)
    store.append("facility-a", 0, [written("facility-a", 1, "210402003001", "210402003")])  # came down
    store.append("facility-own", 0, [written("facility-own", 1, "210402003001", "210402003001",
                                             origin_node="xinfu-s03-c001")])
    with store.engine.connect() as conn:
        assert handoff.needs_handoff(conn, store, village, "facility-a")
        assert not handoff.needs_handoff(conn, store, village, "facility-own")  # its own record
        assert not handoff.needs_handoff(conn, store, village, "facility-new")  # a new record
    store.append("handoff-210402003001", 0, [written("handoff-210402003001", 1, "210402003001", "210402003")])
    with store.engine.connect() as conn:
        assert not handoff.needs_handoff(conn, store, village, "facility-a")


def test_a_record_from_above_arriving_after_the_parent_started_makes_its_hand_off_due(store):
    """Started together, the town found nothing to hand over; when the district's record about the
    village's area comes down later, the hand-off is due (recorded in the same unit of work)."""
    town = Topology(TOWN, Neighbour("xinfu", "210402", "xinfu", amqp_uri="amqp://x@h/v"), (C001,))
    assert handoff.hand_over(store, town, lambda *args: None) == []
    came_down = written("facility-d", 1, "210402003001", "210402", origin_node="xinfu")
    store.append("facility-d", 0, [came_down])
    with store.engine.connect() as conn:
        assert handoff.owed(conn, store, town, came_down) == handoff.HomeHandedOver(
            "210402003001", "xinfu-s03", "xinfu-s03-c001")
        from_the_child = written("facility-c", 1, "210402003001", "210402003001", origin_node="xinfu-s03-c001")
        assert handoff.owed(conn, store, town, from_the_child) is None
    store.append("handoff-210402003001", 0, [written("handoff-210402003001", 1, "210402003001", "210402003")])
    with store.engine.connect() as conn:
        assert handoff.owed(conn, store, town, came_down) is None  # once only
