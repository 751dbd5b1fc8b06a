"""`eldernet sync reconcile`: have a link's sender go over everything again (anti-entropy by hand).

Run at the receiving end of a link. For each service, this node's received cursor for the peer
is set back (to 0 by default) and the peer is asked to re-send from there; the peer's relay moves
its cursors back and sends everything it holds for this node again. What is here already is
dropped by the inbox, what is missing (a restored backup, a purged queue, a bug) is stored.
Nothing that is here is changed. The peer does the work when it is running and reachable; the
request waits in the broker until then.
"""
from __future__ import annotations

from typing import Mapping

from shared import cursors
from shared.broker_admin import user_of
from shared.config import ConfigError
from shared.db import make_engine
from shared.links import Topology
from shared.node import database_url
from shared.publisher import ConfirmedPublisher
from shared.runner import load_service, node_services, service_name
from shared.status import sqlite_missing
from shared.sync_intake import takes_synced_events
from shared.sync_link import received_cursor, resend_request
from shared.topology import SYNC_EXCHANGE, child_link_queue, resend_routing_key


def reconcile(config: Mapping, peer_id: str, from_position: int = 0,
              services: list[str] | None = None) -> list[str]:
    """Ask ``peer_id`` (the parent or a child) to re-send; returns what was done, a line each."""
    topology = Topology.from_config(config)
    names = services or [service_name(e) for e in node_services(config) if takes_synced_events(load_service(e))]
    if topology.parent is not None and peer_id == topology.parent.id:
        publisher = ConfirmedPublisher(topology.parent.amqp_uri, SYNC_EXCHANGE, passive=True)
        sender, route = user_of(topology.parent.amqp_uri), resend_routing_key
    elif any(c.id == peer_id for c in topology.children):
        publisher = ConfirmedPublisher(config["AMQP_URI"], "")
        sender, route = user_of(config["AMQP_URI"]), lambda service: child_link_queue(service, peer_id)
    else:
        known = [n.id for n in [topology.parent, *topology.children] if n is not None]
        raise ConfigError(f"--peer {peer_id!r}: not a neighbour of node {topology.node.id} "
                          f"(its links: {', '.join(known) or 'none'})")
    done = []
    try:
        for name in names:
            url = database_url(config, name)
            if sqlite_missing(url):
                done.append(f"{name}: no database yet, nothing to reconcile")
                continue
            engine = make_engine(url)
            try:
                with engine.begin() as conn:
                    cursors.advance(conn, received_cursor(peer_id), from_position)
            finally:
                engine.dispose()
            publisher.publish_batch([resend_request(route(name), from_position, sender)])
            done.append(f"{name}: asked {peer_id} to re-send everything after its position {from_position}")
    finally:
        publisher.close()
    return done
