"""The event store's contract, run against every backend (SQLite and PostgreSQL)."""
import contextlib

import eventlet
import pytest
import sqlalchemy as sa

from sqlalchemy.pool import NullPool

from shared.db import make_engine
from shared.events import Event
from shared.store import ANY_VERSION, ConcurrencyError, DuplicateEventError, EventStore

_real_threading = eventlet.patcher.original("threading")
RealThread, RealBarrier = _real_threading.Thread, _real_threading.Barrier


@contextlib.contextmanager
def racing_store(database_url):
    """A store for OS threads racing for real: no connection pool (its locks are green under
    eventlet) and, on PostgreSQL, psycopg2 blocking in each thread rather than waiting through
    eventlet's hub (the hub belongs to the main thread)."""
    import psycopg2.extensions

    callback = psycopg2.extensions.get_wait_callback()
    psycopg2.extensions.set_wait_callback(None)
    engine = make_engine(database_url, poolclass=NullPool)
    try:
        store = EventStore(engine)
        store.create_schema()
        yield store
    finally:
        engine.dispose()
        psycopg2.extensions.set_wait_callback(callback)


def run_threads(target, count):
    errors = []

    def guarded(n):
        try:
            target(n)
        except BaseException as error:  # a writer's failure must fail the test, not hang it
            errors.append(error)

    threads = [RealThread(target=guarded, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a writer thread is stuck"
    assert not errors, errors


def new_event(stream_id, n=0, **changes):
    fields = dict(type="eldernet.test.Noted", source="/eldernet/n1/test", subject=stream_id,
                  data={"n": n, "text": "敬老院"}, stream_id=stream_id, stream_version=1,
                  origin_node="n1", area_code="210402")
    fields.update(changes)
    return Event(**fields)


@pytest.fixture
def store(engine):
    store = EventStore(engine)
    store.create_schema()
    return store


def test_append_assigns_versions_positions_and_recorded_time(store):
    result = store.append("s-1", 0, [new_event("s-1", 1), new_event("s-1", 2)])
    assert [e.stream_version for e in result.events] == [1, 2]
    assert [e.position for e in result.events] == [1, 2]
    assert all(e.recorded_time is not None for e in result.events)
    assert store.stream_version("s-1") == 2 and store.head_position() == 2


def test_read_stream_returns_what_was_appended(store):
    appended = store.append("s-1", 0, [new_event("s-1", i) for i in range(3)]).events
    store.append("s-2", 0, [new_event("s-2")])
    assert store.read_stream("s-1") == appended
    assert store.read_stream("s-1", after_version=2) == appended[2:]
    assert store.read_stream("nothing") == []


def test_stale_expected_version_is_a_concurrency_error_and_stores_nothing(store):
    store.append("s-1", 0, [new_event("s-1")])
    with pytest.raises(ConcurrencyError) as error:
        store.append("s-1", 0, [new_event("s-1"), new_event("s-1")])
    assert (error.value.expected, error.value.actual) == (0, 1)
    assert store.stream_version("s-1") == 1 and store.head_position() == 1


def test_any_version_appends_after_the_current_one(store):
    store.append("s-1", 0, [new_event("s-1")])
    assert store.append("s-1", ANY_VERSION, [new_event("s-1")]).stream_version == 2


def test_the_same_event_cannot_be_stored_twice(store):
    event = new_event("s-1")
    store.append("s-1", 0, [event])
    with pytest.raises(DuplicateEventError):
        store.append("s-1", 1, [event])
    assert store.head_position() == 1  # the failed append did not take a position


def test_read_all_pages_in_global_order(store):
    for i in range(5):
        store.append(f"s-{i % 2}", ANY_VERSION, [new_event(f"s-{i % 2}", i)])
    everything = store.read_all(0, 100)
    assert [e.position for e in everything] == [1, 2, 3, 4, 5]
    assert [e.data["n"] for e in everything] == [0, 1, 2, 3, 4]
    assert store.read_all(2, 2) == everything[2:4]
    assert [len(p) for p in store.iter_all(0, page_size=2)] == [2, 2, 1]


def test_data_and_times_survive_storage_exactly(store):
    event = new_event("s-1", data={"amount_fen": 360000, "name": "抚顺市", "nested": {"a": [1, 2]}})
    stored = store.append("s-1", 0, [event]).events[0]
    assert store.read_stream("s-1")[0] == stored
    assert stored.time == event.time


def test_append_joins_the_callers_transaction(store):
    with pytest.raises(RuntimeError):
        with store.engine.begin() as conn:
            store.append("s-1", 0, [new_event("s-1")], conn=conn)
            raise RuntimeError("the command failed after appending")
    assert store.read_stream("s-1") == [] and store.head_position() == 0


def test_a_batch_for_another_stream_is_refused(store):
    with pytest.raises(ValueError):
        store.append("s-1", 0, [new_event("s-2")])


def test_two_writers_racing_on_one_stream_exactly_one_wins(database_url):
    with racing_store(database_url) as store:
        race_on_one_stream(store)


def race_on_one_stream(store):
    store.append("s-1", 0, [new_event("s-1")])
    writers, barrier = 6, RealBarrier(6, timeout=30)
    outcomes = []

    def write(n):
        version = store.stream_version("s-1")
        barrier.wait()
        try:
            store.append("s-1", version, [new_event("s-1", n)])
            outcomes.append("won")
        except ConcurrencyError:
            outcomes.append("lost")

    run_threads(write, writers)
    assert sorted(outcomes) == ["lost"] * (writers - 1) + ["won"]
    assert store.stream_version("s-1") == 2


def test_positions_stay_gap_free_under_concurrent_writers_with_conflicts(database_url):
    with racing_store(database_url) as store:
        write_with_conflicts(store)


def write_with_conflicts(store):
    per_writer, writers = 25, 4

    def write(w):
        for i in range(per_writer):
            stream = f"s-{i % 3}"  # shared streams: writers collide and retry
            while True:
                try:
                    store.append(stream, store.stream_version(stream), [new_event(stream, i)])
                    break
                except ConcurrencyError:
                    continue

    run_threads(write, writers)
    positions = [e.position for e in store.read_all(0, 10_000)]
    assert positions == list(range(1, per_writer * writers + 1))
    for stream in ("s-0", "s-1", "s-2"):
        versions = [e.stream_version for e in store.read_stream(stream)]
        assert versions == list(range(1, len(versions) + 1))


def test_create_schema_is_idempotent_and_keeps_events(store):
    store.append("s-1", 0, [new_event("s-1")])
    store.create_schema()
    assert store.head_position() == 1


def test_the_events_table_is_append_only_by_constraint(store):
    store.append("s-1", 0, [new_event("s-1")])
    with pytest.raises(sa.exc.IntegrityError):
        with store.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO events (position, event_id, source, type, subject, stream_id, stream_version,"
                " time, recorded_time, origin_node, area_code, schema_version, data) SELECT 2, 'x', source, type,"
                " subject, stream_id, stream_version, time, recorded_time, origin_node, area_code,"
                " schema_version, data FROM events WHERE position = 1"))
