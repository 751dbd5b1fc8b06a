"""The demo's village goes offline at noon and rejoins in the evening.

Its link to the street is cut at the broker — the village's user loses its rights on the street's
vhost and its connections there are closed, as when the village's line goes down — while both
nodes keep running. The village goes on registering; the street does not see it. When the rights
come back, the village's services reconnect on their own and the link resumes from its cursors:
the street and the city get what the village wrote while it was away, each event once.
"""
from __future__ import annotations

import time

from kombu.utils.url import parse_url

from shared.broker_admin import BrokerAdmin, quoted
from shared.config import load_config

CITY = "fushun"
REJOIN_SECONDS = 120  # the services retry their connections every few seconds


def facility_registered_offline(n: int, area_code: str) -> dict:
    return {"kind": "canteen", "name": f"永安社区午间助餐点 {n}", "area_code": area_code,
            "ownership": "public", "capacity": {"canteen_seats": 12}, "services": ["meals"]}


def village_offline(nodes, report, configs: dict[str, str], wait_for, village: str, area_code: str) -> None:
    """``nodes``: the day's RPC helper; ``wait_for(what, probe, timeout)`` its bounded wait;
    ``village``: the node cut off from its parent, ``area_code`` its area."""
    parent = load_config(configs[village])["ELDERNET"]["sync"]["parent"]
    town = parent["id"]
    url = parse_url(parent["amqp_uri"])
    user, vhost = url["userid"], url["virtual_host"]
    admin = BrokerAdmin()
    admin.request("DELETE", f"/api/permissions/{quoted(vhost)}/{quoted(user)}")
    closed = _close_connections(admin, vhost, user)
    report.say(f"day: noon — the village's line goes down: its link to the street is cut "
               f"({closed} connections closed, its rights on the street's broker withdrawn)")
    try:
        ids = [nodes.call(village, "registry", "register_facility",
                          facility_registered_offline(n, area_code))["facility_id"]
               for n in (1, 2)]
        report.say("  the village goes on working: it registers 2 lunch points while cut off")
        time.sleep(2)
        seen = sum(_holds(nodes, town, facility_id) for facility_id in ids)
        report.say(f"  the street holds {seen} of them while the link is down")
    finally:
        admin.grant_child_link(vhost, user, village)
    started = time.monotonic()
    report.say("day: evening — the village's line is back")
    for node, name in ((town, "the street"), (CITY, "the city")):
        wait_for(f"the village's lunch points at {name} after it rejoined",
                 lambda node=node: all(_holds(nodes, node, facility_id) for facility_id in ids), REJOIN_SECONDS)
        report.say(f"  {name} holds both {time.monotonic() - started:.1f} s after the line came back")


def _close_connections(admin: BrokerAdmin, vhost: str, user: str) -> int:
    connections = [c for c in admin.request("GET", f"/api/vhosts/{quoted(vhost)}/connections") or []
                   if c.get("user") == user]
    for connection in connections:
        admin.request("DELETE", f"/api/connections/{quoted(connection['name'])}")
    return len(connections)


def _holds(nodes, node: str, facility_id: str) -> bool:
    try:
        nodes.http_get(node, "registry", f"/facilities/{facility_id}")
        return True
    except Exception:  # noqa: BLE001 - 404 until it arrives
        return False
