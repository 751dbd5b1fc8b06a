"""What a node's uplink (tiered sync, upward) still has to forward to its parent."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import cursors
from shared.node import Node
from shared.store import events_table
from shared.topology import UPLINK_CURSOR


def uplink_backlog(conn: Connection, node: Node) -> tuple[int, int, datetime | None]:
    """(cursor, events about the node's area after it, recorded time of the oldest of them)."""
    position = cursors.get(conn, UPLINK_CURSOR)
    waiting = sa.and_(events_table.c.position > position, events_table.c.area_code.like(node.area_code + "%"))
    backlog, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(events_table.c.recorded_time))
                                   .where(waiting)).one()
    if isinstance(oldest, str):  # SQLite hands an aggregate back as text, not through the column type
        oldest = datetime.fromisoformat(oldest)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    return position, backlog, oldest
