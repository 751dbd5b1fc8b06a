"""`eldernet sync status`: every sync link of every service on this node, read from its databases.

No broker is needed, so it also answers while a link is down. Per service and link: the events
still to send (backlog), how old the oldest of them is (lag), the link's cursor and when it last
moved; per peer, how far what it sent has been received; and how many received events are held
waiting for what they refer to.
"""
from __future__ import annotations

from typing import Mapping

import sqlalchemy as sa

from shared import cursors, held
from shared.db import make_engine
from shared.links import Topology
from shared.node import database_url
from shared.runner import load_service, node_services, service_name
from shared.status import hide_password, sqlite_missing
from shared.sync_intake import takes_synced_events
from shared.sync_link import age_seconds, downlinks, link_backlog, received_cursor, uplink


def _moved(conn, name: str) -> str | None:
    moved = conn.execute(sa.select(cursors.cursors_table.c.updated_at)
                         .where(cursors.cursors_table.c.name == name)).scalar_one_or_none()
    return moved.isoformat() if moved else None


def _lag(oldest) -> float | None:
    return None if oldest is None else round(age_seconds(oldest), 1)


def service_links(url: str, topology: Topology) -> dict:
    if sqlite_missing(url):
        return {"state": "no database yet"}
    links = [link for link in [uplink(topology), *downlinks(topology)] if link is not None]
    peers = [n for n in [topology.parent, *topology.children] if n is not None]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            sending = {}
            for link in links:
                position, backlog, oldest = link_backlog(conn, link)
                sending[link.name] = {"cursor": position, "backlog": backlog, "lag_seconds": _lag(oldest),
                                      "last_moved": _moved(conn, link.cursor)}
            received = {peer.id: {"position": cursors.get(conn, received_cursor(peer.id)),
                                  "last_moved": _moved(conn, received_cursor(peer.id))} for peer in peers}
            return {"state": "ok", "sending": sending, "received": received, "held": held.count(conn)}
    except sa.exc.SQLAlchemyError as error:
        return {"state": f"unreadable: {error.__class__.__name__}"}
    finally:
        engine.dispose()


def sync_status(config: Mapping) -> dict:
    topology = Topology.from_config(config)
    entries = [e for e in node_services(config) if takes_synced_events(load_service(e))]
    names = [service_name(entry) for entry in entries]
    parent = topology.parent
    return {"node": topology.node, "parent": parent.id if parent else None,
            "parent_uri": hide_password(parent.amqp_uri) if parent else None,
            "children": [c.id for c in topology.children],
            "services": {name: service_links(database_url(config, name), topology) for name in names}}


def print_sync_status(status: dict) -> None:
    node = status["node"]
    print(f"node {node.id} ({node.tier.value} {node.area_code})")
    print(f"  parent:   {status['parent'] or '-'}" + (f" at {status['parent_uri']}" if status["parent_uri"] else ""))
    print(f"  children: {', '.join(status['children']) or '-'}")
    if not status["parent"] and not status["children"]:
        print("  no sync links configured (ELDERNET.sync.parent / sync.children); nothing is exchanged")
        return
    for name, s in status["services"].items():
        if s["state"] != "ok":
            print(f"  {name:<10} {s['state']}")
            continue
        for link, l in s["sending"].items():
            lag = "-" if l["lag_seconds"] is None else f"{l['lag_seconds']:.1f} s"
            print(f"  {name:<10} send {link:<24} backlog {l['backlog']:>7} events  lag {lag:>10}  "
                  f"cursor {l['cursor']:>8}  last moved {l['last_moved'] or 'never'}")
        for peer, r in s["received"].items():
            print(f"  {name:<10} from {peer:<24} received up to {r['position']:>8}  "
                  f"last moved {r['last_moved'] or 'never'}")
        if s["held"]:
            print(f"  {name:<10} held {s['held']} events waiting for records they refer to")
