"""Kernel baseline: the event store, its position counter, cursors, the inbox and held sync events.

The schema as ``create_all`` made it before migrations existed. Each table is created only when it
is missing, so a database made by that older code runs through this revision unchanged and comes
out stamped at 0001 (shared/schema.py checks afterwards that its tables are the ones described
here). Written out in full rather than taken from ``kernel_metadata``: a migration is a record of
the schema at one point in time and must not change when the code's tables do.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _tables() -> list[tuple[str, list]]:
    utc = sa.DateTime(timezone=True)
    return [
        ("events", [
            sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("event_id", sa.String(64), nullable=False),
            sa.Column("source", sa.String(255), nullable=False),
            sa.Column("type", sa.String(255), nullable=False),
            sa.Column("subject", sa.String(255), nullable=False),
            sa.Column("stream_id", sa.String(255), nullable=False),
            sa.Column("stream_version", sa.Integer, nullable=False),
            sa.Column("time", utc, nullable=False),
            sa.Column("recorded_time", utc, nullable=False),
            sa.Column("origin_node", sa.String(64), nullable=False),
            sa.Column("area_code", sa.String(12), nullable=False),
            sa.Column("origin_area", sa.String(12)),
            sa.Column("correlation_id", sa.String(64)),
            sa.Column("causation_id", sa.String(64)),
            sa.Column("schema_version", sa.Integer, nullable=False),
            sa.Column("data", sa.JSON().with_variant(JSONB(), "postgresql"), nullable=False),
            sa.UniqueConstraint("stream_id", "stream_version", name="uq_events_stream_version"),
            sa.UniqueConstraint("source", "event_id", name="uq_events_source_id"),
        ]),
        ("store_head", [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("position", sa.BigInteger, nullable=False),
        ]),
        ("cursors", [
            sa.Column("name", sa.String(255), primary_key=True),
            sa.Column("position", sa.BigInteger, nullable=False),
            sa.Column("updated_at", utc, nullable=False),
        ]),
        ("inbox", [
            sa.Column("consumer", sa.String(255), primary_key=True),
            sa.Column("source", sa.String(255), primary_key=True),
            sa.Column("event_id", sa.String(64), primary_key=True),
            sa.Column("event_type", sa.String(255), nullable=False),
            sa.Column("handled_at", utc, nullable=False),
        ]),
        ("sync_held", [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("waiting_for", sa.String(255), nullable=False),
            sa.Column("event", sa.Text, nullable=False),
            sa.Column("held_at", utc, nullable=False),
        ]),
    ]


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, columns in _tables():
        if name not in existing:
            op.create_table(name, *columns)
    if "sync_held" not in existing:
        op.create_index("ix_sync_held_waiting_for", "sync_held", ["waiting_for"])
    # The one counter row every append updates (shared/store.py); a create_all database that
    # stopped between creating the table and inserting the row gets it here too.
    head = sa.table("store_head", sa.column("id", sa.Integer), sa.column("position", sa.BigInteger))
    if op.get_bind().execute(sa.select(head.c.id).where(head.c.id == 1)).first() is None:
        op.bulk_insert(head, [{"id": 1, "position": 0}])


def downgrade() -> None:
    # Dropping the event store loses the node's history: there is no way back from 0001.
    raise NotImplementedError("the kernel baseline cannot be downgraded (it would drop the event store)")
