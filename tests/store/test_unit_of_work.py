"""The unit of work and projections over a real database (SQLite and PostgreSQL)."""
from datetime import datetime, timezone

import pytest

from shared.aggregate import Rejected
from shared.inbox import AlreadyHandled
from shared.node import Node, Tier
from shared.projections import Projections
from shared.store import ConcurrencyError, EventStore
from shared.unit_of_work import InboxEntry, ServiceContext, UnitOfWork
from tests.support.occupancy import WardOccupancy, occupancy
from tests.support.ward import AdmitElder, DischargeElder, OpenWard, ward, ward_events

AT = datetime(2026, 11, 23, 8, tzinfo=timezone.utc)
NODE = Node("xinfu", Tier.DISTRICT, "210402", parent="fushun")


@pytest.fixture
def context(engine):
    store = EventStore(engine)
    store.create_schema()
    projections = Projections(store, [WardOccupancy()])
    projections.create_tables()
    committed = []
    ctx = ServiceContext(NODE, "registry", store, ward_events(), projections,
                         on_committed=lambda events: committed.extend(events))
    ctx.committed = committed
    return ctx


def run(context, command, inbox_entry=None):
    with UnitOfWork(context, inbox_entry) as uow:
        return uow.execute(ward, command.ward_id, command, area_code="210402001002")


def read_occupancy(context):
    with context.store.engine.connect() as conn:
        return occupancy(conn)


def test_execute_appends_enveloped_events_and_projects_them(context):
    run(context, OpenWard("w1", 2, AT))
    events = run(context, AdmitElder("w1", "e1", AT))
    assert [e.type for e in events] == ["eldernet.test.ElderAdmitted"]
    event = events[0]
    assert event.source == "/eldernet/xinfu/registry" and event.origin_node == "xinfu"
    assert event.stream_id == "ward-w1" and event.stream_version == 2 and event.time == AT
    assert event.correlation_id == event.id  # a command starts a new correlation
    assert read_occupancy(context) == {"w1": (2, 1)}
    assert [e.type for e in context.committed] == ["eldernet.test.WardOpened", "eldernet.test.ElderAdmitted"]


def test_a_rejected_command_stores_and_projects_nothing(context):
    run(context, OpenWard("w1", 1, AT))
    run(context, AdmitElder("w1", "e1", AT))
    with pytest.raises(Rejected):
        run(context, AdmitElder("w1", "e2", AT))
    assert context.store.head_position() == 2
    assert read_occupancy(context) == {"w1": (1, 1)}


def test_a_concurrent_writer_makes_the_unit_of_work_fail_whole(context):
    run(context, OpenWard("w1", 5, AT))
    with pytest.raises(ConcurrencyError):
        with UnitOfWork(context) as uow:
            state, version = uow.load(ward, "w1")
            run(context, AdmitElder("w1", "e1", AT))  # another worker gets there first
            uow.record("ward-w1", version, ward.decide(state, AdmitElder("w1", "e2", AT)), area_code="210402")
    assert read_occupancy(context) == {"w1": (5, 1)}


def test_rebuild_replays_the_store_into_an_equal_read_model(context):
    run(context, OpenWard("w1", 3, AT))
    run(context, OpenWard("w2", 1, AT))
    for elder in ("e1", "e2", "e3"):
        run(context, AdmitElder("w1", elder, AT))
    run(context, DischargeElder("w1", "e2", AT))
    before = read_occupancy(context)
    progress = []
    replayed = context.projections.rebuild("ward_occupancy", progress=lambda done, total: progress.append((done, total)),
                                           page_size=2)
    assert replayed == 6
    assert read_occupancy(context) == before == {"w1": (3, 2), "w2": (1, 0)}
    assert progress[-1] == (6, 6) and len(progress) == 3


def test_a_new_projection_catches_up_before_applying_new_events(context):
    bare = ServiceContext(NODE, "registry", context.store, ward_events(), Projections(context.store, []))
    with UnitOfWork(bare) as uow:
        uow.execute(ward, "w1", OpenWard("w1", 2, AT), area_code="210402")
    assert read_occupancy(context) == {}
    run(context, AdmitElder("w1", "e1", AT))  # the projection first replays what it missed
    assert read_occupancy(context) == {"w1": (2, 1)}


def test_inbox_entry_is_recorded_with_the_changes_and_a_duplicate_changes_nothing(context):
    run(context, OpenWard("w1", 5, AT))
    trigger = run(context, OpenWard("w9", 1, AT))[0]  # stands in for a received event
    entry = InboxEntry("registry.on_thing", trigger)
    events = run(context, AdmitElder("w1", "e1", AT), inbox_entry=entry)
    assert entry.recorded and events[0].causation_id == trigger.id
    with pytest.raises(AlreadyHandled):
        run(context, AdmitElder("w1", "e2", AT), inbox_entry=InboxEntry("registry.on_thing", trigger))
    assert read_occupancy(context)["w1"] == (5, 1)
