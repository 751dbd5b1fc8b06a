"""`eldernet sync status`: how far each service's uplink to the parent node has got.

Read from the node's own databases (no broker needed, so it also works while the link is down):
per service, the events about the node's area not yet confirmed by the parent's broker (backlog),
how old the oldest of them is (lag), and when the uplink last moved its cursor.
"""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from shared import cursors
from shared.config import eldernet_section
from shared.db import make_engine
from shared.events import utcnow
from shared.node import Node, database_url
from shared.runner import node_services, service_name
from shared.status import hide_password, sqlite_missing
from shared.topology import UPLINK_CURSOR
from shared.uplink import uplink_backlog


def uplink_status(url: str, node: Node) -> dict:
    if sqlite_missing(url):
        return {"state": "no database yet"}
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            position, backlog, oldest = uplink_backlog(conn, node)
            moved = conn.execute(sa.select(cursors.cursors_table.c.updated_at)
                                 .where(cursors.cursors_table.c.name == UPLINK_CURSOR)).scalar_one_or_none()
        return {"state": "ok", "cursor": position, "backlog": backlog,
                "lag_seconds": None if oldest is None else round((utcnow() - oldest).total_seconds(), 1),
                "last_moved": moved.isoformat() if moved else None}
    except sa.exc.SQLAlchemyError as error:
        return {"state": f"unreadable: {error.__class__.__name__}"}
    finally:
        engine.dispose()


def sync_status(config: Mapping) -> dict:
    node = Node.from_config(config)
    parent_uri = (eldernet_section(config).get("sync") or {}).get("parent_amqp_uri")
    names = [service_name(entry) for entry in node_services(config)]
    return {"node": node, "parent": node.parent, "parent_uri": hide_password(parent_uri) if parent_uri else None,
            "services": {name: uplink_status(database_url(config, name), node) for name in names}}


def print_sync_status(status: dict) -> None:
    node: Node = status["node"]
    if not status["parent_uri"]:
        print(f"node {node.id} ({node.tier.value} {node.area_code}) has no uplink configured "
              "(ELDERNET.sync.parent_amqp_uri); nothing is forwarded")
        return
    print(f"node {node.id} ({node.tier.value} {node.area_code}) -> parent {status['parent']} at {status['parent_uri']}")
    for name, s in status["services"].items():
        if s["state"] != "ok":
            print(f"  {name:<10} {s['state']}")
            continue
        lag = "-" if s["lag_seconds"] is None else f"{s['lag_seconds']:.1f} s"
        print(f"  {name:<10} backlog {s['backlog']:>7} events  lag {lag:>10}  "
              f"cursor {s['cursor']:>8}  last moved {s['last_moved'] or 'never'}")
