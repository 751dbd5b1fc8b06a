"""The kernel's tables in a service database, versioned with alembic (shared/migrations/).

Every service database holds the same kernel tables: the event store and its position counter,
cursors (outbox, projections, sync links), the inbox and the held sync events. :func:`upgrade`
brings them to the newest revision; a service does it on start (``EventStore.create_schema``) and
an operator with ``eldernet node upgrade``. It is safe to run any number of times: at the head it
changes nothing.

A database made before migrations existed (by ``create_all``) has the tables but no
``alembic_version``; it is *adopted*: the baseline revision creates only what is missing, the
database is stamped, and its tables are then compared with the code's. A database that differs
is refused, naming the differences, and on PostgreSQL nothing of the attempt is kept.

Read models are not migrated: they are projections, emptied and replayed from the store when their
tables change (docs/deploy.md, "Upgrading").
"""
from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from typing import Callable

import sqlalchemy as sa

# alembic says at INFO what it sets up (on import, and on every start of every service); what it
# applies is logged here, once per revision. Before alembic's modules are imported.
logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

# The modules whose tables make up the kernel's schema (imported for kernel_metadata's sake).
from shared import cursors, held, inbox, record_handoff, store  # noqa: F401
from shared.db import is_postgres, kernel_metadata

log = logging.getLogger(__name__)

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")
KERNEL_TABLES = frozenset(kernel_metadata.tables)
# Two processes upgrading one PostgreSQL database (two containers of a service) take turns; the
# lock is per schema, so services in schemas of one database do not wait for each other.
PG_LOCK_KEY = 0x656C6472  # "eldr"; with hashtext(current_schema()) as the second key

Step = Callable[[str, str], None]  # (revision id, what it does) as each revision is applied


class SchemaMismatch(RuntimeError):
    """A database's kernel tables are not the ones the migrations describe."""


@dataclass
class UpgradeResult:
    before: str | None
    after: str
    adopted: bool = False  # made before migrations existed, now stamped
    applied: list[str] = field(default_factory=list)


def head() -> str:
    return _script().get_current_head()


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def pending(conn: Connection) -> list[tuple[str, str]]:
    """The revisions an upgrade would apply, oldest first: (id, what it does)."""
    current = current_revision(conn)
    revisions = list(_script().iterate_revisions("head", current))
    return [(r.revision, _summary(r.doc)) for r in reversed(revisions)]


def upgrade(engine: Engine, on_step: Step | None = None) -> UpgradeResult:
    """Bring the kernel's tables in ``engine``'s database to the newest revision, in one transaction."""
    with engine.begin() as conn:
        if is_postgres(engine):
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key, hashtext(current_schema()))"),
                         {"key": PG_LOCK_KEY})
        before = current_revision(conn)
        adopted = before is None and "events" in sa.inspect(conn).get_table_names()
        result = UpgradeResult(before=before, after=before or "", adopted=adopted)

        def applied(ctx, step, heads, run_args):
            revision = step.up_revision
            result.applied.append(revision.revision)
            log.info("%s: schema revision %s applied (%s)", _where(engine), revision.revision, _summary(revision.doc))
            if on_step:
                on_step(revision.revision, _summary(revision.doc))

        _run(conn, lambda rev, ctx: _script()._upgrade_revs("head", rev), on_version_apply=applied)
        result.after = current_revision(conn)
        if adopted:
            found = differences(conn)
            if found:  # raising rolls the transaction back
                raise SchemaMismatch("this database was made before migrations existed and its kernel tables "
                                     f"differ from revision {result.after}: {found}; restore a backup made by "
                                     "the same eldernet version, or ask the project how to convert it")
    if adopted:
        log.info("%s: made before migrations existed; adopted and stamped at %s", _where(engine), result.after)
    return result


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def differences(conn: Connection) -> list:
    """What alembic's autogenerate finds between the kernel's tables here and the code's (empty: equal)."""
    context = MigrationContext.configure(conn, opts={"include_name": include_kernel_name, "compare_type": True})
    return compare_metadata(context, kernel_metadata)


def include_kernel_name(name, type_, parent_names) -> bool:
    """Compare and autogenerate the kernel's tables only: read models and a service's own tables
    share the database but are not the kernel's to migrate."""
    return type_ != "table" or name in KERNEL_TABLES


def configure(env: EnvironmentContext, conn: Connection, **options) -> None:
    """The one configuration of the migration environment (used by env.py too)."""
    env.configure(connection=conn, target_metadata=kernel_metadata, include_name=include_kernel_name,
                  compare_type=True, render_as_batch=conn.dialect.name == "sqlite", **options)


def _run(conn: Connection, fn, **options) -> None:
    with EnvironmentContext(alembic_config(), _script(), fn=fn) as env:
        configure(env, conn, **options)
        with env.begin_transaction():  # the caller's transaction: alembic does not commit it
            env.run_migrations()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.set_main_option("version_locations", os.path.join(MIGRATIONS_DIR, "versions"))
    return config


@functools.lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _summary(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0].rstrip(".") if doc else ""
