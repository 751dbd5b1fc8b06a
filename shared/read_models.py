"""Read models are rebuilt, not migrated: a projection whose tables changed is dropped and replayed.

A read model holds nothing the store does not (it is the store's events folded into tables), so
when a new version of a service changes a projection's tables, the node drops those tables,
creates them as the code now describes them and replays the store into them
(:meth:`Projections.rebuild`). The change is found by comparing the tables in the database with the
code's (alembic's autogenerate comparison), so no projection needs a version number to bump.

A service's *own* tables (``EventSourced(tables=...)``, e.g. the registry's identities) hold state
no replay brings back: a change to one is reported, never dropped; it needs a migration.
"""
from __future__ import annotations

import logging
from typing import Callable, Iterable, Sequence

import sqlalchemy as sa

from shared import schema  # noqa: F401 - first: it quiets alembic's logging before alembic loads
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from shared.projections import Progress, Projections

log = logging.getLogger(__name__)


def differences(engine: Engine, tables: Iterable[sa.Table]) -> dict[str, list]:
    """Per table that exists in the database but differs from ``tables``: what differs."""
    tables = list(tables)
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names()) & {t.name for t in tables}
        metadata = sa.MetaData()  # a missing table is new, not changed: created as usual
        for table in tables:
            if table.name in present:
                table.to_metadata(metadata)
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, type_, parents: type_ != "table" or name in present,
            "compare_type": True})
        found = compare_metadata(context, metadata)
    by_table: dict[str, list] = {}
    for diff in found:
        by_table.setdefault(_table_of(diff), []).append(diff)
    return by_table


def changed_projections(projections: Projections) -> dict[str, list]:
    """The projections whose tables are in the database but not as the code describes them."""
    every = [t for p in projections.by_name.values() for t in p.tables]
    by_table = differences(projections.store.engine, every)
    return {p.name: [d for t in p.tables for d in by_table.get(t.name, [])]
            for p in projections.by_name.values() if any(t.name in by_table for t in p.tables)}


def rebuild_changed(projections: Projections,
                    progress: Callable[[str], Progress | None] = lambda name: None) -> list[str]:
    """Drop, re-create and replay every changed projection; the others are left alone.

    ``progress(name)`` gives the replay's progress callback for projection ``name``.
    """
    changed = changed_projections(projections)
    engine = projections.store.engine
    for name in changed:
        projection = projections.projection(name)
        log.info("read model %s: tables changed (%s); dropping and replaying the store", name, changed[name])
        for table in reversed(list(projection.tables)):
            table.drop(engine, checkfirst=True)
        for table in projection.tables:
            table.create(engine)
        projections.rebuild(name, progress=progress(name))
    return list(changed)


def changed_own_tables(engine: Engine, tables: Sequence[sa.Table]) -> dict[str, list]:
    """A service's own tables (not rebuilt from events) that differ from the code: they need a migration."""
    return differences(engine, tables) if tables else {}


def _table_of(diff) -> str:
    """The table an alembic diff is about: ("add_column", schema, table, column), ("add_index", Index), ..."""
    if isinstance(diff, list):  # a column's modifications come as a list of tuples
        diff = diff[0]
    for item in diff[1:]:
        if isinstance(item, sa.Table):
            return item.name
        table = getattr(item, "table", None)
        if isinstance(table, sa.Table):
            return table.name
    return str(diff[2]) if len(diff) > 2 else "?"
