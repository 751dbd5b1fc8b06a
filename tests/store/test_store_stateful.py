"""The event store against an in-memory model: random sequences of appends and reads.

hypothesis drives appends (right, stale or ANY expected version; batches of 1-3; fresh,
repeated or re-sourced event ids) and reads, and after every step checks that the store and
the model agree. Each backend gets one database (SQLite file / fresh PostgreSQL schema) per
test; every example starts from emptied tables, which is what a fresh database looks like to
the store and much cheaper than creating one per example.
"""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from shared.db import make_engine
from shared.events import Event
from shared.store import ANY_VERSION, ConcurrencyError, DuplicateEventError, EventStore

STREAMS = ("ward-1", "ward-2", "机构-3")
SOURCES = ("/eldernet/xinfu/registry", "/eldernet/fushun/registry")
BEIJING = timezone(timedelta(hours=8))

MACHINE_SETTINGS = settings(max_examples=25, stateful_step_count=20, deadline=None,
                            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


class StoreMachine(RuleBasedStateMachine):
    def __init__(self, store: EventStore):
        super().__init__()
        self.store = store
        with store.engine.begin() as conn:  # an empty store, as create_schema leaves a new one
            conn.execute(sa.text("DELETE FROM events"))
            conn.execute(sa.text("UPDATE store_head SET position = 0"))
        self.log: list[dict] = []  # the model: every stored event, in global order
        self.serial = 0

    # -- the model -------------------------------------------------------------------------
    def stream(self, stream_id: str) -> list[dict]:
        return [e for e in self.log if e["stream_id"] == stream_id]

    def keys(self) -> set[tuple[str, str]]:
        return {(e["source"], e["id"]) for e in self.log}

    def new_event(self, stream_id: str, source: str, event_id: str | None = None) -> Event:
        self.serial += 1
        n = self.serial
        return Event(type="eldernet.test.Noted", source=source, subject=stream_id, stream_id=stream_id,
                     stream_version=1, origin_node="xinfu", area_code="210402001002",
                     id=event_id or f"e-{n}",
                     data={"n": n, "名称": f"新抚区第{n}养老院", "big": 2**70 + n, "list": [n, {"x": None}]},
                     time=datetime(2026, 11, 23, 8, 30, n % 60, n * 1001 % 1_000_000, tzinfo=BEIJING))

    @staticmethod
    def view(event: Event) -> dict:
        return dict(id=event.id, source=event.source, stream_id=event.stream_id, version=event.stream_version,
                    position=event.position, data=dict(event.data), time=event.time)

    # -- rules -----------------------------------------------------------------------------
    @rule(data=st.data(), stream_id=st.sampled_from(STREAMS), size=st.integers(1, 3),
          expectation=st.sampled_from(["right", "right", "any", "stale"]),
          ids=st.sampled_from(["fresh", "fresh", "fresh", "stored", "twice in batch", "stored id, other source"]))
    def append(self, data, stream_id, size, expectation, ids):
        current = len(self.stream(stream_id))
        if expectation == "right":
            expected = current
        elif expectation == "any":
            expected = ANY_VERSION
        else:
            expected = data.draw(st.integers(0, current + 3).filter(lambda v: v != current), label="stale")
        batch = [self.new_event(stream_id, data.draw(st.sampled_from(SOURCES), label="source")) for _ in range(size)]
        at = data.draw(st.integers(0, size - 1), label="at")
        if ids == "stored" and self.log:
            old = data.draw(st.sampled_from(self.log), label="stored event")
            batch[at] = self.new_event(stream_id, old["source"], old["id"])
        elif ids == "twice in batch" and size > 1:
            batch[-1] = self.new_event(stream_id, batch[0].source, batch[0].id)
        elif ids == "stored id, other source" and self.log:
            old = data.draw(st.sampled_from(self.log), label="stored event")
            other = next(s for s in SOURCES if s != old["source"])
            if (other, old["id"]) not in self.keys():
                batch[at] = self.new_event(stream_id, other, old["id"])

        batch_keys = [e.key for e in batch]
        duplicate = len(set(batch_keys)) < len(batch_keys) or bool(set(batch_keys) & self.keys())
        stale = expected is not ANY_VERSION and expected != current
        head = len(self.log)

        event("append: " + ("stale and duplicate" if stale and duplicate else "stale" if stale
                            else "duplicate" if duplicate else f"stored, ids {ids}"))
        if stale or duplicate:
            # Either fault alone has its own error; with both, either error is fine.
            allowed = tuple(err for err, present in ((ConcurrencyError, stale), (DuplicateEventError, duplicate))
                            if present)
            with pytest.raises(allowed) as error:
                self.store.append(stream_id, expected, batch)
            if isinstance(error.value, ConcurrencyError):
                assert (error.value.expected, error.value.actual) == (expected, current)
            assert self.store.head_position() == head, "a failed append changed the head"
            assert self.store.stream_version(stream_id) == current, "a failed append changed the stream"
            return

        result = self.store.append(stream_id, expected, batch)
        assert [e.position for e in result.events] == list(range(head + 1, head + size + 1))
        assert [e.stream_version for e in result.events] == list(range(current + 1, current + size + 1))
        assert result.last_position == head + size and result.stream_version == current + size
        assert all(e.recorded_time is not None for e in result.events)
        for sent, stored in zip(batch, result.events):
            assert (stored.key, stored.data, stored.time) == (sent.key, sent.data, sent.time)
            self.log.append(dict(self.view(sent), version=stored.stream_version, position=stored.position))

    @rule(stream_id=st.sampled_from(STREAMS + ("no-such-stream",)), data=st.data())
    def read_stream(self, stream_id, data):
        expected = self.stream(stream_id)
        after = data.draw(st.integers(0, len(expected) + 1), label="after_version")
        got = [self.view(e) for e in self.store.read_stream(stream_id, after_version=after)]
        assert got == [e for e in expected if e["version"] > after]

    @rule(data=st.data(), limit=st.integers(1, 5))
    def read_all(self, data, limit):
        after = data.draw(st.integers(0, len(self.log) + 2), label="after_position")
        got = [self.view(e) for e in self.store.read_all(after, limit)]
        assert got == self.log[after:after + limit]

    @precondition(lambda self: len(self.log) > 0)
    @rule()
    def iterate_everything_in_pages(self):
        pages = list(self.store.iter_all(0, page_size=2))
        assert all(1 <= len(p) <= 2 for p in pages)
        assert [self.view(e) for page in pages for e in page] == self.log

    # -- invariants ------------------------------------------------------------------------
    @invariant()
    def store_agrees_with_the_model(self):
        everything = self.store.read_all(0, 10_000)
        assert self.store.head_position() == len(self.log)
        assert [e.position for e in everything] == list(range(1, len(self.log) + 1)), "positions not gap-free"
        assert [self.view(e) for e in everything] == self.log
        for stream_id in STREAMS:
            versions = [e.stream_version for e in everything if e.stream_id == stream_id]
            assert versions == list(range(1, len(versions) + 1)), f"{stream_id}: versions not 1..n"
            assert self.store.stream_version(stream_id) == len(versions)


@pytest.fixture
def store(database_url):
    engine = make_engine(database_url)
    store = EventStore(engine)
    store.create_schema()
    yield store
    engine.dispose()


def test_store_behaves_like_its_model(store):
    run_state_machine_as_test(lambda: StoreMachine(store), settings=MACHINE_SETTINGS)
