"""What an operator asks of a node without the broker: its stores, outboxes and read models."""
from __future__ import annotations

import os
from typing import Callable, Mapping

import sqlalchemy as sa

from shared import cursors
from shared.config import ConfigError
from shared.db import make_engine
from shared.dependencies import EventSourced
from shared.inbox import inbox_table
from shared.node import Node, database_url
from shared.projections import Projections
from shared.runner import load_service, node_services, service_name
from shared.store import EventStore


def sqlite_missing(url: str) -> bool:
    return url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):])


def service_status(url: str) -> dict:
    if sqlite_missing(url):
        return {"database": url, "state": "no database yet (the service has not run)"}
    engine = make_engine(url)
    try:
        store = EventStore(engine)
        with engine.connect() as conn:
            head = store.head_position(conn)
            published = cursors.get(conn, "outbox")
            rows = conn.execute(sa.select(cursors.cursors_table.c.name, cursors.cursors_table.c.position)).all()
            handled = conn.execute(sa.select(sa.func.count()).select_from(inbox_table)).scalar_one()
        return {"database": url, "state": "ok", "events": head, "published": published,
                "outbox_backlog": head - published, "inbox_handled": handled,
                "projections": {n[len("projection:"):]: p for n, p in rows if n.startswith("projection:")}}
    except sa.exc.SQLAlchemyError as error:
        return {"database": url, "state": f"unreadable: {error.__class__.__name__}: {error}"}
    finally:
        engine.dispose()


def node_status(config: Mapping) -> dict:
    node = Node.from_config(config)
    names = [service_name(entry) for entry in node_services(config)]
    services = {name: service_status(database_url(config, name)) for name in names}
    return {"node": node, "amqp_uri": hide_password(config["AMQP_URI"]), "services": services}


def print_status(status: dict) -> None:
    node: Node = status["node"]
    print(f"node {node.id}  tier {node.tier.value}  area {node.area_code}  parent {node.parent or '-'}")
    print(f"broker {status['amqp_uri']}")
    for name, s in status["services"].items():
        if s["state"] != "ok":
            print(f"  {name:<10} {s['state']}")
            continue
        projections = ", ".join(f"{k}@{v}" for k, v in s["projections"].items()) or "-"
        print(f"  {name:<10} events {s['events']:>8}  published {s['published']:>8}  backlog {s['outbox_backlog']:>6}"
              f"  inbox {s['inbox_handled']:>8}  projections {projections}")


def replay_projection(config: Mapping, service: str, projection: str,
                      progress: Callable[[int, int], None] | None = None) -> int:
    provider = _event_sourced_of(load_service(_entry_for(config, service)))
    engine = make_engine(database_url(config, service))
    try:
        store = EventStore(engine)
        store.create_schema()
        projections = Projections(store, provider.projection_list)
        projections.create_tables()
        return projections.rebuild(projection, progress=progress)
    finally:
        engine.dispose()


def _entry_for(config: Mapping, service: str) -> str:
    """The ELDERNET.services entry that runs ``service`` (an entry may be module:Class)."""
    for entry in node_services(config):
        if service_name(entry) == service:
            return entry
    return service


def _event_sourced_of(service_class: type) -> EventSourced:
    for value in vars(service_class).values():
        if isinstance(value, EventSourced):
            return value
    raise ConfigError(f"service {service_class.name!r} has no EventSourced dependency to replay")


def hide_password(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    return maybe_sanitize_url(uri)
