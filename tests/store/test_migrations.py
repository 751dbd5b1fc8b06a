"""The kernel's tables under alembic (shared/schema.py, shared/migrations/), and read models that are
replayed rather than migrated (shared/read_models.py), on SQLite and PostgreSQL."""
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from shared import read_models, schema
from shared.db import kernel_metadata
from shared.projections import Projections
from shared.runner import installed_services, load_service
from shared.status import _event_sourced_of
from shared.store import EventStore, store_head_table
from tests.store.test_store_contract import new_event
from tests.support.occupancy import WardOccupancy, occupancy

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASELINE = ("events", "store_head", "cursors", "inbox", "sync_held")  # the tables before migrations
KERNEL = {*BASELINE, "record_areas"}


def tables(engine):
    return set(sa.inspect(engine).get_table_names())


def revision(engine):
    with engine.connect() as conn:
        return schema.current_revision(conn)


def made_before_migrations(engine):
    """What EventStore.create_schema did before migrations existed (the tables of that time)."""
    kernel_metadata.create_all(engine, tables=[kernel_metadata.tables[name] for name in BASELINE])
    with engine.begin() as conn:
        conn.execute(store_head_table.insert().values(id=1, position=0))


def test_the_kernel_tables_are_those_the_migrations_describe():
    assert schema.KERNEL_TABLES == KERNEL


def test_a_fresh_database_is_upgraded_to_the_head_and_equals_the_code(engine):
    steps = []
    result = schema.upgrade(engine, on_step=lambda rev, what: steps.append((rev, what)))
    assert result.before is None and result.after == schema.head() and not result.adopted
    assert [rev for rev, _ in steps] == result.applied and result.applied[0] == "0001"
    assert steps[0][1].startswith("Kernel baseline")
    assert tables(engine) == KERNEL | {"alembic_version"}
    with engine.connect() as conn:
        assert schema.differences(conn) == []
        assert schema.pending(conn) == []
    store = EventStore(engine)
    store.append("s-1", 0, [new_event("s-1")])
    assert store.head_position() == 1


def test_a_second_upgrade_changes_nothing(engine):
    store = EventStore(engine)
    store.create_schema()
    store.append("s-1", 0, [new_event("s-1")])
    again = store.create_schema()
    assert again.before == again.after == schema.head() and again.applied == [] and not again.adopted
    assert [e.data["n"] for e in store.read_all()] == [0]


def test_pending_lists_what_an_upgrade_would_apply(engine):
    with engine.connect() as conn:
        assert [rev for rev, _ in schema.pending(conn)][0] == "0001"
        assert [rev for rev, _ in schema.pending(conn)][-1] == schema.head()


def test_a_database_made_by_create_all_is_adopted_and_keeps_its_events(engine):
    made_before_migrations(engine)
    old = EventStore(engine)
    old.append("s-1", 0, [new_event("s-1", 1), new_event("s-1", 2, stream_version=2)])
    assert revision(engine) is None
    result = old.create_schema()
    assert result.adopted and result.before is None and result.after == schema.head()
    assert [e.data["n"] for e in old.read_all()] == [1, 2] and old.head_position() == 2
    with engine.connect() as conn:
        assert schema.differences(conn) == []
    assert not old.create_schema().adopted  # stamped: the next start is an ordinary no-op


def test_an_old_database_missing_a_later_table_gets_it(engine):
    made_before_migrations(engine)
    kernel_metadata.tables["sync_held"].drop(engine)
    with engine.begin() as conn:
        conn.execute(store_head_table.delete())  # stopped between create_all and the counter row
    result = schema.upgrade(engine)
    assert result.adopted and "sync_held" in tables(engine)
    assert EventStore(engine).head_position() == 0


def test_an_old_database_whose_tables_differ_is_refused_and_left_as_it_was(engine):
    made_before_migrations(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE inbox"))
        conn.execute(sa.text("CREATE TABLE inbox (consumer VARCHAR(255) PRIMARY KEY, source VARCHAR(255))"))
    with pytest.raises(schema.SchemaMismatch, match="event_id"):
        schema.upgrade(engine)
    assert revision(engine) is None  # not stamped: the next start refuses it again


def test_the_alembic_command_runs_the_same_migrations(tmp_path):
    """env.py, for developers: `alembic upgrade head` then `alembic check` finds nothing to generate."""
    url = f"sqlite:///{tmp_path}/dev.db"

    def alembic(*args):
        return subprocess.run([sys.executable, "-m", "alembic", "-c", "shared/migrations/alembic.ini",
                               "-x", f"url={url}", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)

    upgraded = alembic("upgrade", "head")
    assert upgraded.returncode == 0, upgraded.stderr
    checked = alembic("check")
    assert checked.returncode == 0 and "No new upgrade operations detected" in checked.stdout + checked.stderr, \
        checked.stdout + checked.stderr


# -- read models: replayed, not migrated ----------------------------------------------------------
def ward_events(store):
    opened = [new_event(f"ward-w{n}", n, type="eldernet.test.WardOpened", data={"ward_id": f"w{n}", "beds": n})
              for n in (1, 2)]
    for event in opened:
        store.append(event.stream_id, 0, [event])


def test_a_read_model_whose_table_changed_is_dropped_and_replayed(engine):
    store = EventStore(engine)
    store.create_schema()
    ward_events(store)
    with engine.begin() as conn:  # the table as an older version of the code made it
        conn.execute(sa.text("CREATE TABLE ward_occupancy (ward_id VARCHAR(64) PRIMARY KEY, beds INTEGER NOT NULL)"))
    projections = Projections(store, [WardOccupancy()])
    assert "ward_occupancy" in read_models.changed_projections(projections)
    replayed = []
    assert read_models.rebuild_changed(projections, lambda name: lambda done, total: replayed.append(name)) \
        == ["ward_occupancy"]
    with engine.connect() as conn:
        assert occupancy(conn) == {"w1": (1, 0), "w2": (2, 0)}
    assert replayed and set(replayed) == {"ward_occupancy"}
    assert read_models.changed_projections(projections) == {}
    assert read_models.rebuild_changed(projections) == []  # the next start leaves it alone


def test_a_new_read_model_is_not_changed_but_created_and_caught_up(engine):
    store = EventStore(engine)
    store.create_schema()
    ward_events(store)
    projections = Projections(store, [WardOccupancy()])
    assert read_models.rebuild_changed(projections) == []
    projections.create_tables()
    projections.catch_up()
    with engine.connect() as conn:
        assert occupancy(conn) == {"w1": (1, 0), "w2": (2, 0)}


def test_a_services_own_table_that_differs_is_reported_not_dropped(engine):
    own = sa.Table("ward_keys", sa.MetaData(), sa.Column("ward_id", sa.String(64), primary_key=True),
                   sa.Column("secret", sa.String(64), nullable=False))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE ward_keys (ward_id VARCHAR(64) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO ward_keys VALUES ('w1')"))
    assert list(read_models.changed_own_tables(engine, [own])) == ["ward_keys"]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ward_keys")).scalar_one() == 1


@pytest.mark.parametrize("service", [s for s in installed_services()])
def test_no_installed_service_would_replay_its_read_models_on_every_start(engine, service):
    """The comparison must find nothing right after the tables are made, on both backends: a
    type it misreads would drop and replay a read model at every start."""
    provider = _event_sourced_of(load_service(service))
    store = EventStore(engine)
    store.create_schema()
    projections = Projections(store, provider.projection_list)
    projections.create_tables()
    for table in provider.tables:
        table.create(engine, checkfirst=True)
    assert read_models.changed_projections(projections) == {}
    assert read_models.changed_own_tables(engine, provider.tables) == {}


def test_an_upgrade_of_a_postgres_database_waits_while_another_is_under_way(postgres_url):
    """Two containers of one service starting at once take turns: while one holds the migration
    lock (here the test), the other waits and then finds the work done, instead of creating the
    same tables and failing."""
    from shared.db import make_engine
    from tests.support.broker import wait_for

    holder = make_engine(postgres_url)
    script = ("import eventlet; eventlet.monkey_patch()\n"
              "import sys; from shared.db import make_engine; from shared import schema\n"
              "print(schema.upgrade(make_engine(sys.argv[1])).applied)")
    with holder.connect() as conn:
        transaction = conn.begin()
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                     {"key": schema.PG_LOCK_KEY})
        other = subprocess.Popen([sys.executable, "-c", script, postgres_url], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True)
        waiting = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                          "AND classid = :key AND objid = (hashtext(current_schema())::bigint & 4294967295)::oid")
        with holder.connect() as watcher:
            wait_for(lambda: other.poll() is not None or watcher.execute(waiting, {"key": schema.PG_LOCK_KEY}).scalar(),
                     timeout=60, message="the other upgrade to wait for the lock")
        assert other.poll() is None, other.communicate()[0]
        assert "alembic_version" not in tables(holder)
        transaction.commit()
    output = other.communicate(timeout=60)[0]
    holder.dispose()
    assert other.returncode == 0 and output.strip().endswith(f"'{schema.head()}']"), output
