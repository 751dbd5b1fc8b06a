"""EventStore against raw SQLAlchemy Core, in the same run, on SQLite (and PostgreSQL).

Figures, each over N events, median of R rounds, a fresh database per round:
* append, one event per transaction — ``EventStore.append(stream, expected_version, [event])``
  vs one ``INSERT`` per ``engine.begin()``;
* append, 100 events per transaction — one stream per batch, ``append(stream, 0, batch)`` vs an
  executemany of 100 rows per ``engine.begin()``;
* reading everything in order, pages of 1 000 — ``read_all(after, 1000)`` until empty vs the
  same ``SELECT … WHERE position > :after ORDER BY position LIMIT 1000`` in Core.

The raw table has the same columns, types and unique constraints as ``events`` (so both pay
for the same indexes); the raw path supplies positions itself and has no head counter, no
version check and no Event objects. Both use an engine from ``shared.db.make_engine`` (SQLite:
WAL, synchronous=FULL), so the settings are the same and the ratio is eldernet's own cost.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from bench.common import POSTGRES_URL, Figure, header, ratio, run_rounds, table, fmt
from shared.db import make_engine
from shared.events import Event, utcnow
from shared.store import EventStore

PAGE = 1000
BATCH = 100

raw_metadata = sa.MetaData()
# Deliberately the same columns as shared/store.py's events table, written out as plain Core: the
# baseline must be what a hand-written insert of the same rows costs, without the store's code.
raw_events = sa.Table(
    "raw_events", raw_metadata,
    sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("source", sa.String(255), nullable=False),
    sa.Column("type", sa.String(255), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("stream_id", sa.String(255), nullable=False),
    sa.Column("stream_version", sa.Integer, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("origin_node", sa.String(64), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("correlation_id", sa.String(64)),
    sa.Column("causation_id", sa.String(64)),
    sa.Column("schema_version", sa.Integer, nullable=False),
    sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
    sa.UniqueConstraint("stream_id", "stream_version", name="uq_raw_events_stream_version"),
    sa.UniqueConstraint("source", "event_id", name="uq_raw_events_source_id"),
)


# -- data -------------------------------------------------------------------------------------
def make_streams(n: int, per_stream: int = BATCH, tag: str = "") -> list[list[Event]]:
    """``n`` realistic events (ward admissions) in streams of ``per_stream``."""
    start = utcnow() - timedelta(days=1)
    streams = []
    for s in range(0, n, per_stream):
        stream_id = f"ward-{tag}{s // per_stream:05d}"
        events = []
        for v in range(1, min(per_stream, n - s) + 1):
            event = Event(
                type="eldernet.ward.ElderAdmitted", source="/eldernet/210402001002/ward",
                subject=stream_id, stream_id=stream_id, stream_version=v,
                origin_node="210402001002", area_code="210402001002",
                time=start + timedelta(seconds=s + v),
                data={"ward_id": stream_id, "elder_id": str(uuid.uuid4()), "bed": v,
                      "name": "王秀英", "care_level": 3, "note": "由社区服务站转入，需每日测血压"})
            events.append(event.replace(correlation_id=event.id))
        streams.append(events)
    return streams


def raw_rows(streams: list[list[Event]]) -> list[dict]:
    now = utcnow()
    rows = []
    for events in streams:
        for e in events:
            rows.append({
                "position": len(rows) + 1, "event_id": e.id, "source": e.source, "type": e.type,
                "subject": e.subject, "stream_id": e.stream_id, "stream_version": e.stream_version,
                "time": e.time, "recorded_time": now, "origin_node": e.origin_node,
                "area_code": e.area_code, "correlation_id": e.correlation_id,
                "causation_id": e.causation_id, "schema_version": e.schema_version,
                "data": dict(e.data),
            })
    return rows


# -- databases --------------------------------------------------------------------------------
class Database:
    """A fresh, empty database with both tables: a SQLite file in a temp dir or a PG schema."""

    def __init__(self, backend: str):
        self.backend = backend
        if backend == "sqlite":
            self.dir = tempfile.mkdtemp(prefix="eldernet-bench-")
            url = f"sqlite:///{os.path.join(self.dir, 'store.db')}"
        else:
            self.schema = f"bench_{uuid.uuid4().hex[:12]}"
            self.admin = sa.create_engine(POSTGRES_URL)
            with self.admin.begin() as conn:
                conn.execute(sa.text(f"CREATE SCHEMA {self.schema}"))
            url = f"{POSTGRES_URL}?options=-csearch_path%3D{self.schema}"
        self.engine = make_engine(url)
        self.store = EventStore(self.engine)
        self.store.create_schema()
        raw_metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()
        if self.backend == "sqlite":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            with self.admin.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA {self.schema} CASCADE"))
            self.admin.dispose()


# -- the timed operations -----------------------------------------------------------------------
def fresh_database(backend: str, n: int, kind: str):
    """A figure's setup: a new database and ``n`` events to write, as streams (``kind``
    "eldernet") or as raw rows (the baseline). The other benchmarks use it for their baselines."""
    def setup(i):
        db = Database(backend)
        streams = make_streams(n, tag=f"{i}-")
        return db, (streams if kind == "eldernet" else raw_rows(streams))
    return setup


def eldernet_append_one(db: Database, streams) -> None:
    for events in streams:
        for version, event in enumerate(events):
            db.store.append(event.stream_id, version, [event])


def raw_insert_one(db: Database, rows) -> None:
    insert = raw_events.insert()
    for row in rows:
        with db.engine.begin() as conn:
            conn.execute(insert, row)


def eldernet_append_batch(db: Database, streams) -> None:
    for events in streams:
        db.store.append(events[0].stream_id, 0, events)


def raw_insert_batch(db: Database, rows) -> None:
    insert = raw_events.insert()
    for i in range(0, len(rows), BATCH):
        with db.engine.begin() as conn:
            conn.execute(insert, rows[i:i + BATCH])


def eldernet_read_all(db: Database, expected: int) -> None:
    position, seen = 0, 0
    while page := db.store.read_all(position, PAGE):
        position = page[-1].position
        seen += len(page)
    assert seen == expected, (seen, expected)


def raw_read_all(db: Database, expected: int) -> None:
    t = raw_events
    position, seen = 0, 0
    while True:
        with db.engine.connect() as conn:
            page = conn.execute(sa.select(t).where(t.c.position > position)
                                .order_by(t.c.position).limit(PAGE)).all()
        if not page:
            break
        position = page[-1].position
        seen += len(page)
    assert seen == expected, (seen, expected)


def figures(backend: str, n: int) -> tuple[list[Figure], Database]:
    def fresh(kind):
        return fresh_database(backend, n, kind)

    def close(ctx):
        ctx[0].close()

    # The read figures share one database, filled once (untimed), read every round.
    reader = Database(backend)
    streams = make_streams(n)
    eldernet_append_batch(reader, streams)
    raw_insert_batch(reader, raw_rows(streams))
    eldernet_read_all(reader, n), raw_read_all(reader, n)  # warm caches and compiled statements

    return [
        Figure("raw insert, 1/txn", n, lambda c: raw_insert_one(*c), fresh("raw"), close),
        Figure("eldernet append, 1/txn", n, lambda c: eldernet_append_one(*c), fresh("eldernet"), close),
        Figure("raw insert, 100/txn", n, lambda c: raw_insert_batch(*c), fresh("raw"), close),
        Figure("eldernet append, 100/txn", n, lambda c: eldernet_append_batch(*c), fresh("eldernet"), close),
        Figure("raw select, pages of 1000", n, lambda c: raw_read_all(reader, n)),
        Figure("eldernet read_all, pages of 1000", n, lambda c: eldernet_read_all(reader, n)),
    ], reader


PAIRS = [
    ("append, 1 event per transaction", "eldernet append, 1/txn", "raw insert, 1/txn"),
    ("append, 100 events per transaction", "eldernet append, 100/txn", "raw insert, 100/txn"),
    ("read everything in order, pages of 1 000", "eldernet read_all, pages of 1000", "raw select, pages of 1000"),
]


def run(n: int = 5000, rounds: int = 3, postgres: bool = False) -> list[list[str]]:
    backends = ["sqlite"] + (["postgresql"] if postgres else [])
    header("Event store: EventStore vs raw SQLAlchemy Core",
           f"N = {n} events per figure, median of {rounds} rounds (events/s); SQLite WAL synchronous=FULL "
           f"(make_engine default), file in a temp dir; PostgreSQL in a fresh schema")
    rows = []
    for backend in backends:
        figs, reader = figures(backend, n)
        try:
            results = run_rounds(figs, rounds)
        finally:
            reader.close()
        for label, mine, raw in PAIRS:
            rows.append([f"{backend}: {label}", fmt(results[mine].median), fmt(results[raw].median),
                         ratio(results[mine], results[raw]), results[mine].spread(), results[raw].spread()])
    table(["figure", "eldernet/s", "raw Core/s", "ratio", "eldernet rounds", "raw rounds"], rows)
    return rows
