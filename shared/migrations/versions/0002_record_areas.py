"""Record areas: where a record that moved to another node's area lives now (shared/record_handoff.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by create_all before migrations existed may have it already (adopted).
    if "record_areas" in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        "record_areas",
        sa.Column("stream_id", sa.String(255), primary_key=True),
        sa.Column("area_code", sa.String(12), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("record_areas")
