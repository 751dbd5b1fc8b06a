"""What every chaos case checks afterwards: the effect of each event happened once.

* nothing lost: every facility event the registry stored was handled by booking's consumer;
* nothing twice: one inbox entry per event, and one capacity pool per facility with capacity;
* read models equal a replay from scratch (booking's, rebuilt from its own store).
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.events import Event
from shared.projections import Projections
from shared.store import EventStore

FACILITY_CONSUMER = "booking.on_facility_event"
KERNEL_TABLES = {"events", "store_head", "cursors", "inbox", "sync_held", "alembic_version", "schema_revisions"}


def facility_events(registry_url: str) -> list[Event]:
    store = EventStore(sa.create_engine(registry_url))
    try:
        return [e for e in store.read_all(0, 1_000_000) if e.stream_id.startswith("facility-")]
    finally:
        store.engine.dispose()


def handled_ids(booking_url: str) -> list[str]:
    engine = sa.create_engine(booking_url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("inbox"):
                return []  # the service has not set its store up yet
            return list(conn.execute(sa.text("SELECT event_id FROM inbox WHERE consumer = :c"),
                                     {"c": FACILITY_CONSUMER}).scalars())
    finally:
        engine.dispose()


def capacity_pools(booking_url: str) -> dict[str, int]:
    """Each capacity stream's number of events (a pool set up twice would show as more streams
    or as more events than the registry's facility events explain)."""
    engine = sa.create_engine(booking_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT stream_id, COUNT(*) FROM events WHERE stream_id LIKE 'capacity-%' "
                                        "GROUP BY stream_id")).all()
        return dict(rows)
    finally:
        engine.dispose()


def read_models(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names() if n not in KERNEL_TABLES]
            return {name: sorted(map(tuple, conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()), key=repr)
                    for name in names}
    finally:
        engine.dispose()


def replayed_read_models(url: str, projections) -> dict[str, list[tuple]]:
    """The read models rebuilt from the store from scratch (as `eldernet replay` does)."""
    engine = sa.create_engine(url)
    try:
        rebuilt = Projections(EventStore(engine), projections)
        for projection in projections:
            rebuilt.rebuild(projection.name)
    finally:
        engine.dispose()
    return read_models(url)


def assert_each_facility_event_took_effect_once(registry_url: str, booking_url: str) -> int:
    stored = facility_events(registry_url)
    handled = handled_ids(booking_url)
    assert sorted(handled) == sorted(e.id for e in stored), "a facility event lost or handled twice"
    registered = {e.stream_id.removeprefix("facility-") for e in stored if e.type.endswith("FacilityRegistered")}
    pools = capacity_pools(booking_url)
    assert {stream.split("-", 1)[1].split(":")[0] for stream in pools} == registered
    assert all(count == 1 for count in pools.values()), pools  # set up once, never again
    return len(stored)
