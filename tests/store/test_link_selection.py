"""What crosses a sync link, chosen twice: by the relay in Python (``Link.select``) and in SQL
(``Link.clause``, for backlogs and ``eldernet sync status``). The two must never disagree, on
either backend, or the status would report a backlog the relay never sends (or hide one)."""
import copy
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import cursors
from shared.config import DEFAULTS, merge
from shared.events import Event
from shared.links import Topology
from shared.store import EventStore, events_table
from shared.sync_link import EPOCH_HEADER, LinkRelay, downlinks, link_backlog, uplink

RECORDED = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)
OTHER_CITY = "370102005006"


def topology(node, parent, *children):
    config = copy.deepcopy(DEFAULTS)
    merge(config, {"ELDERNET": {"node": node, "sync": {
        "parent": parent and dict(parent, amqp_uri="amqp://child:secret@parent-host/parent"),
        "children": list(children)}}})
    return Topology.from_config(config)


TOWN = topology({"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"},
                {"id": "xinfu", "area_code": "210402"},
                {"id": "xinfu-s03-c001", "area_code": "210402003001"},
                {"id": "xinfu-s03-c002", "area_code": "210402003002"})
DISTRICT = topology({"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                    {"id": "fushun", "area_code": "2104"},
                    {"id": "xinfu-s01", "area_code": "210402001"},
                    {"id": "xinfu-s03", "area_code": "210402003"})
# A town a village moved into from the sibling town 210402004 (its records' old code 210402004002).
MOVED_INTO = topology({"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"},
                      {"id": "xinfu", "area_code": "210402"},
                      {"id": "xinfu-s03-c001", "area_code": "210402003001"},
                      {"id": "xinfu-s03-c007", "area_code": "210402003007", "former_area_codes": ["210402004002"]})
CITY = topology({"id": "fushun", "tier": "city", "area_code": "2104"}, None,
                {"id": "xinfu", "area_code": "210402"})


def links_of(topology):
    return [link for link in [uplink(topology), *downlinks(topology)] if link is not None]


def anchors(topology):
    """Codes near the node's borders: its own area, its children's, a place of its own that no
    child holds, its sibling's, and another city; area codes are drawn at every level around them."""
    area = topology.node.area_code
    sibling = area[:-1] + ("9" if area[-1] != "9" else "8")
    return [area, area + "999999"[:12 - len(area)], sibling, OTHER_CITY,
            *(code for child in topology.children for code in child.prefixes)]


def area_codes(topology):
    def code(anchor, length, filler):
        return (anchor + filler)[:length]
    return st.builds(code, st.sampled_from(anchors(topology)), st.sampled_from((2, 4, 6, 9, 12)),
                     st.text("0129", min_size=12, max_size=12))


@st.composite
def stored_events(draw):
    """A topology and the events of a store it could hold, each in its own stream."""
    chosen = draw(st.sampled_from([TOWN, DISTRICT, CITY, MOVED_INTO]))
    codes = area_codes(chosen)
    places = draw(st.lists(st.tuples(codes, st.none() | codes, st.integers(0, 10_000)), max_size=14))
    events = [Event(type="eldernet.test.Noted", source="/eldernet/somewhere/test", subject=f"s-{n}", data={"n": n},
                    stream_id=f"s-{n}", stream_version=1, origin_node="somewhere", area_code=area,
                    origin_area=origin, recorded_time=RECORDED + timedelta(minutes=minutes))
              for n, (area, origin, minutes) in enumerate(places)]
    return chosen, events


@pytest.fixture
def store(engine):
    store = EventStore(engine)
    store.create_schema()
    return store


def refill(store, events):
    """An emptied store holding ``events`` (cheaper than a new database per example)."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events"))
        conn.execute(sa.text("DELETE FROM cursors"))
        conn.execute(sa.text("UPDATE store_head SET position = 0"))
        for event in events:
            store.append(event.stream_id, 0, [event], conn=conn)
    return store.read_all(0, 10_000)


def chosen_by_sql(conn, link):
    return conn.execute(sa.select(events_table.c.event_id).where(link.clause)
                        .order_by(events_table.c.position)).scalars().all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=stored_events(), data=st.data())
def test_the_sql_clause_chooses_what_the_relay_chooses(store, case, data):
    chosen_topology, events = case
    stored = refill(store, events)
    for link in links_of(chosen_topology):
        chosen = [e for e in stored if link.select(e)]
        cursor = data.draw(st.integers(0, len(stored)), label=f"{link.name} cursor")
        after = [e for e in chosen if e.position > cursor]
        with store.engine.begin() as conn:
            assert chosen_by_sql(conn, link) == [e.id for e in chosen], link.name
            cursors.advance(conn, link.cursor, cursor)
            assert link_backlog(conn, link) == (cursor, len(after), min((e.recorded_time for e in after),
                                                                        default=None)), link.name


def test_a_town_chooses_for_each_link(store):
    """The property above, pinned down on one store the reader can check by eye."""
    places = {"own": ("210402003", "210402003"), "from-c001": ("210402003001", "210402003001"),
              "unknown-origin": ("210402003002", None), "city-data": ("2104", "2104"),
              "for-c001": ("210402003001", "2104"), "sibling-town": ("210402004", "210402004"),
              "c002-about-city": ("2104", "210402003002")}
    refill(store, [Event(type="eldernet.test.Noted", source="/eldernet/somewhere/test", subject=name,
                         data={}, stream_id=name, stream_version=1, origin_node="somewhere", area_code=area,
                         origin_area=origin, id=name) for name, (area, origin) in places.items()])
    with store.engine.connect() as conn:
        assert {link.name: chosen_by_sql(conn, link) for link in links_of(TOWN)} == {
            "up:xinfu": ["own", "from-c001", "unknown-origin"],
            "down:xinfu-s03-c001": ["own", "city-data", "for-c001", "c002-about-city"],
            "down:xinfu-s03-c002": ["own", "unknown-origin", "city-data"],
        }


def test_a_city_has_no_uplink_and_a_link_per_child():
    assert uplink(CITY) is None
    assert [(link.name, link.cursor, link.sent_cursor) for link in links_of(CITY)] == [
        ("down:xinfu", "sync:down:xinfu", "sync:down:xinfu:sent")]


class Sent:
    """A publisher that keeps what it is given (the relay's choice is what is tested here)."""

    def __init__(self):
        self.messages = []

    def publish_batch(self, messages):
        self.messages += messages


def noted(n, area, origin):
    return Event(type="eldernet.test.Noted", source="/eldernet/somewhere/test", subject=f"s-{n}", data={},
                 stream_id=f"s-{n}", stream_version=1, origin_node="somewhere", area_code=area, origin_area=origin)


def test_a_link_whose_areas_changed_starts_over_in_a_new_epoch(store):
    """The district's link down to a town that a village moved into: records under the village's
    old code, passed over before the move, belong to the link now — it sends its history again."""
    refill(store, [noted(1, "210402003", "210402"), noted(2, "210402004002", "210402")])
    before = next(link for link in downlinks(DISTRICT_BEFORE) if link.name == "down:xinfu-s03")
    after = next(link for link in downlinks(DISTRICT_AFTER) if link.name == "down:xinfu-s03")

    first = Sent()
    LinkRelay(store, first, before, user_id="xinfu").publish_pending()
    assert [m.properties["application_headers"][EPOCH_HEADER] for m in first.messages] == [0]
    again = Sent()
    LinkRelay(store, again, before, user_id="xinfu").publish_pending()  # restarted, nothing changed
    assert again.messages == []

    moved = Sent()
    LinkRelay(store, moved, after, user_id="xinfu").publish_pending()
    headers = [m.properties["application_headers"] for m in moved.messages]
    assert [(h["x-eldernet-link-prev"], h["x-eldernet-link-pos"], h[EPOCH_HEADER]) for h in headers] == [
        (0, 1, 1), (1, 2, 1)]  # from the start, chained anew, in epoch 1
    quiet = Sent()
    LinkRelay(store, quiet, after, user_id="xinfu").publish_pending()
    assert quiet.messages == []  # once


DISTRICT_BEFORE = topology({"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                           {"id": "fushun", "area_code": "2104"},
                           {"id": "xinfu-s03", "area_code": "210402003"})
DISTRICT_AFTER = topology({"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                          {"id": "fushun", "area_code": "2104"},
                          {"id": "xinfu-s03", "area_code": "210402003", "former_area_codes": ["210402004002"]})
