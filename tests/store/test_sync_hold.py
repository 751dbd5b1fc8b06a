"""Events received over a sync link that cannot be stored yet are held, and stored when what they
wait for arrives (shared/held.py, UnitOfWork.ingest), on SQLite and PostgreSQL.

The little registry here is the shape of the real one (services/registry/homing.py): the first
event of a facility needs its area; an area's first event needs its parent area."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import held
from shared.events import Event
from shared.node import Node, Tier
from shared.projections import Projections
from shared.schemas import EventRegistry
from shared.store import ConcurrencyError, EventStore
from shared.unit_of_work import ServiceContext, UnitOfWork

TOWN = Node("xinfu-s03", Tier.TOWN, "210402003", parent="xinfu")
VILLAGE = "210402003001"
AT = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)


def references(event: Event) -> list[str]:
    if event.stream_version != 1:
        return []
    if event.stream_id.startswith("area-"):
        parent = event.data.get("parent_code")
        return [f"area-{parent}"] if parent else []
    return [f"area-{event.area_code}"]


def area(code: str, parent: str | None = None) -> Event:
    """An area's first event, recorded at the city and come down."""
    return Event(type="eldernet.registry.AreaRegistered", source="/eldernet/fushun/registry",
                 subject=f"area-{code}", data={"code": code, "parent_code": parent}, stream_id=f"area-{code}",
                 stream_version=1, origin_node="fushun", origin_area="2104", area_code=code, time=AT,
                 recorded_time=AT)


def facility(facility_id: str, version: int, area_code: str = VILLAGE, **data) -> Event:
    """A facility's event, recorded at the village and come up."""
    return Event(type="eldernet.registry.FacilityChanged", source="/eldernet/xinfu-s03-c001/registry",
                 subject=f"facility-{facility_id}", data={"version": version, **data},
                 stream_id=f"facility-{facility_id}", stream_version=version, origin_node="xinfu-s03-c001",
                 origin_area=VILLAGE, area_code=area_code, time=AT, recorded_time=AT)


@pytest.fixture
def context(engine):
    store = EventStore(engine)
    store.create_schema()
    committed = []
    ctx = ServiceContext(TOWN, "registry", store, EventRegistry(), Projections(store, []),
                         on_committed=lambda events: committed.append([e.id for e in events]),
                         references=references)
    ctx.committed = committed  # the events of each unit of work that committed any
    return ctx


def ingest(context, *events) -> list[list[str]]:
    """Each event in its own unit of work, as the sync intake does; the ids each one stored."""
    stored = []
    for event in events:
        with UnitOfWork(context) as uow:
            stored.append([e.id for e in uow.ingest(event)])
    return stored


def stored(context) -> list[tuple[str, int, str]]:
    """Everything in the store, in position order."""
    return [(e.stream_id, e.stream_version, e.id) for e in context.store.read_all(0, 10_000)]


def held_count(context) -> int:
    with context.store.engine.connect() as conn:
        return held.count(conn)


def as_stored(*events) -> list[tuple[str, int, str]]:
    return [(e.stream_id, e.stream_version, e.id) for e in events]


def test_a_next_version_that_arrives_first_waits_for_the_one_before(context):
    opened, renamed = facility("f1", 1), facility("f1", 2, name="颐养中心")
    ingest(context, area(VILLAGE))
    assert ingest(context, renamed) == [[]]
    assert held_count(context) == 1 and context.store.stream_version("facility-f1") == 0
    assert ingest(context, opened) == [[opened.id, renamed.id]]
    assert stored(context)[1:] == as_stored(opened, renamed)
    assert held_count(context) == 0
    copy = context.store.read_stream("facility-f1")[1]
    assert (copy.key, copy.data, copy.origin_area, copy.time, copy.recorded_time) == \
        (renamed.key, renamed.data, VILLAGE, AT, AT)  # stored as it was recorded, not as held


def test_a_record_waits_for_the_stream_it_refers_to_and_is_stored_in_the_same_unit_of_work(context):
    opened, its_area = facility("f1", 1), area(VILLAGE)
    assert ingest(context, opened) == [[]]
    assert held_count(context) == 1 and stored(context) == [] and context.committed == []
    assert ingest(context, its_area) == [[its_area.id, opened.id]]
    assert context.committed == [[its_area.id, opened.id]]
    assert stored(context) == as_stored(its_area, opened) and held_count(context) == 0


def test_a_unit_of_work_that_fails_after_the_release_keeps_the_record_held(context):
    opened, its_area = facility("f1", 1), area(VILLAGE)
    ingest(context, opened)
    with pytest.raises(RuntimeError):
        with UnitOfWork(context) as uow:
            assert len(uow.ingest(its_area)) == 2
            raise RuntimeError("the inbox write failed")
    assert stored(context) == [] and held_count(context) == 1
    assert ingest(context, its_area) == [[its_area.id, opened.id]]  # the area's retry releases it again


def test_a_chain_of_waits_is_released_by_its_first_link(context):
    """C (version 2) waits for B (version 1), B waits for its area A."""
    a, b, c = area(VILLAGE), facility("f1", 1), facility("f1", 2, beds=40)
    assert ingest(context, c, b) == [[], []] and held_count(context) == 2
    assert ingest(context, a) == [[a.id, b.id, c.id]]
    assert stored(context) == as_stored(a, b, c) and held_count(context) == 0


def test_areas_wait_for_their_parents_down_the_tree(context):
    city, district, town, village = area("2104"), area("210402", "2104"), area("210402003", "210402"), \
        area(VILLAGE, "210402003")
    assert ingest(context, village, town, district) == [[], [], []]
    assert ingest(context, city) == [[city.id, district.id, town.id, village.id]]
    assert stored(context) == as_stored(city, district, town, village)


def test_an_event_stored_already_is_skipped(context):
    its_area, opened = area(VILLAGE), facility("f1", 1)
    ingest(context, its_area, opened)
    assert ingest(context, opened, its_area) == [[], []]
    assert stored(context) == as_stored(its_area, opened) and held_count(context) == 0


def test_an_event_held_twice_is_stored_once(context):
    opened = facility("f1", 1)
    ingest(context, opened, opened)
    assert held_count(context) == 2
    assert ingest(context, area(VILLAGE))[0][1:] == [opened.id]
    assert stored(context)[1:] == as_stored(opened) and held_count(context) == 0


def test_another_history_of_a_stream_is_refused_and_the_unit_of_work_stores_nothing(context):
    its_area, opened = area(VILLAGE), facility("f1", 1)
    ingest(context, its_area, opened)
    forged = facility("f1", 1, name="另一个")
    with pytest.raises(ConcurrencyError) as error:
        with UnitOfWork(context) as uow:
            uow.ingest(area("2104"))
            uow.ingest(forged)
    assert (error.value.stream_id, error.value.expected, error.value.actual) == ("facility-f1", 0, 1)
    assert stored(context) == as_stored(its_area, opened) and held_count(context) == 0


def test_a_record_held_for_an_area_is_stored_when_the_area_is_imported_here(context):
    """held.py: stored "as soon as that stream is appended to" — also when this node writes it
    itself (the city registers and imports areas through execute/record, i.e. UnitOfWork.append)."""
    opened, its_area = facility("f1", 1), area(VILLAGE)
    ingest(context, opened)
    with UnitOfWork(context) as uow:
        uow.append(its_area.stream_id, 0, [its_area])
    assert stored(context) == as_stored(its_area, opened) and held_count(context) == 0


# -- any order of arrival -------------------------------------------------------------------------
NETWORK = [area("2104"), area("210402", "2104"), area("210402003", "210402"), area(VILLAGE, "210402003"),
           facility("f1", 1), facility("f1", 2, beds=40), facility("f1", 3, beds=42),
           facility("g1", 1, area_code="210402003"), facility("g1", 2, closed=True, area_code="210402003")]


def emptied(context):
    with context.store.engine.begin() as conn:
        for table in ("events", "sync_held", "cursors"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        conn.execute(sa.text("UPDATE store_head SET position = 0"))
    return context


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(NETWORK), again=st.lists(st.tuples(st.integers(0, 20), st.sampled_from(NETWORK)),
                                                      max_size=4))
def test_any_order_of_arrival_ends_with_every_event_stored_once_in_order(context, order, again):
    """Re-sent copies included: whatever the order, all is stored, each stream in version order and
    after the streams it refers to, nothing left held."""
    arrivals = list(order)
    for at, event in again:
        arrivals.insert(at, event)
    ingest(emptied(context), *arrivals)
    everything = context.store.read_all(0, 10_000)
    assert sorted(e.key for e in everything) == sorted(e.key for e in NETWORK)
    streams: dict[str, list[Event]] = {}
    for event in everything:
        assert all(ref in streams for ref in references(event)), f"{event.stream_id} stored before its references"
        streams.setdefault(event.stream_id, []).append(event)
    for stream_id, events in streams.items():
        assert [(e.stream_version, e.key) for e in events] == \
            [(e.stream_version, e.key) for e in NETWORK if e.stream_id == stream_id]
    assert held_count(context) == 0
