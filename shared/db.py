"""Database plumbing shared by the store, the inbox, cursors and read models.

SQLite (WAL) is the embedded default, one file per service per node; PostgreSQL is the
production store. Engines are made here and nowhere else, so both backends get the same
settings everywhere (see docs/dependencies.md for how each driver behaves under eventlet).
"""
from __future__ import annotations

import os
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool

# The kernel's tables (event store, cursors, inbox, held sync events). Not created with
# `create_all`: shared/migrations/ versions them and `EventStore.create_schema` upgrades a
# database to the newest revision (shared/schema.py); this MetaData is what the newest revision
# must equal (tests/store/test_migrations.py).
kernel_metadata = sa.MetaData()


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite has no timezone type)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store UTC-aware datetimes only")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text, e.g. from a view
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", echo: bool = False,
                poolclass: type | None = None) -> Engine:
    """An engine configured for the event store: WAL and a busy timeout on SQLite."""
    parsed = make_url(url)
    pool = {"poolclass": poolclass} if poolclass else {}
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True, **pool)
    database = parsed.database
    in_memory = not database or database == ":memory:"
    if not in_memory:
        os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=echo,
        hide_parameters=True,  # errors and logs must not carry values (ID numbers are among them)
        connect_args={"timeout": 30, "check_same_thread": False},
        **({"poolclass": StaticPool} if in_memory else pool),
    )
    _configure_sqlite(engine, sqlite_synchronous, in_memory)
    return engine


def _configure_sqlite(engine: Engine, synchronous: str, in_memory: bool) -> None:
    if synchronous.upper() not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
        raise ValueError(f"sqlite synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous!r}")

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        if not in_memory:
            # WAL lets readers (projections, the outbox relay) run beside the one writer.
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
