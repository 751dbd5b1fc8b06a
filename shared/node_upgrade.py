"""``eldernet node upgrade``: bring every service database of a node to what this version's code needs.

Per service, in the order the node runs them: the kernel's tables are migrated (shared/schema.py);
read models whose tables changed are dropped and replayed (shared/read_models.py); a service's own
tables that differ are reported (they need a migration of their own). A service whose database
cannot be opened or is refused does not stop the others; the command then fails, naming it.
A node does the same on start, so this command is for upgrading ahead of a start, in a maintenance
window, with progress shown.
"""
from __future__ import annotations

from typing import Callable, Mapping

import sqlalchemy as sa

from shared import read_models, schema
from shared.db import make_engine
from shared.node import database_url
from shared.projections import Progress, Projections
from shared.runner import load_service, node_services, service_name
from shared.status import _event_sourced_of, hide_password
from shared.store import EventStore

Say = Callable[[str], None]


def upgrade_node(config: Mapping, say: Say, progress: Callable[[str], Progress | None]) -> list[str]:
    """Upgrade each service database of the node; returns the services that failed."""
    failed = []
    for entry in node_services(config):
        name = service_name(entry)
        url = database_url(config, name)
        say(f"{name}: {hide_password(url)}")
        try:
            upgrade_service(url, _event_sourced_of(load_service(entry)), say, progress)
        except sa.exc.OperationalError as error:
            say(f"  cannot open the database: {error.orig}".rstrip())
            say(f"  create it, or point ELDERNET.databases.{name} at one that exists, and run this again")
            failed.append(name)
        except schema.SchemaMismatch as error:
            say(f"  refused: {error}")
            failed.append(name)
    return failed


def upgrade_service(url: str, provider, say: Say, progress: Callable[[str], Progress | None]) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current, waiting = schema.current_revision(conn), schema.pending(conn)
        say(f"  kernel tables: at {current or 'none (new or made before migrations)'}, newest {schema.head()}"
            + ("" if waiting else ": nothing to do"))
        result = EventStore(engine).create_schema(on_step=lambda rev, what: say(f"  applied {rev}: {what}"))
        if result.adopted:
            say(f"  made before migrations existed: its tables match; stamped at {result.after}")
        projections = Projections(EventStore(engine), provider.projection_list)
        rebuilt = read_models.rebuild_changed(projections, progress)
        projections.create_tables()
        applied = projections.catch_up()
        say("  read models: " + (f"rebuilt {', '.join(rebuilt)} (their tables changed)" if rebuilt else "unchanged")
            + _caught_up(applied))
        for table, diffs in read_models.changed_own_tables(engine, provider.tables).items():
            say(f"  WARNING: table {table} differs from the code and is not a read model: it needs a migration "
                f"({diffs}); left as it is")
        for table in provider.tables:
            table.create(engine, checkfirst=True)
    finally:
        engine.dispose()


def _caught_up(applied: dict[str, int]) -> str:
    moved = {name: count for name, count in applied.items() if count}
    return "; caught up " + ", ".join(f"{n} by {c} events" for n, c in moved.items()) if moved else ""
