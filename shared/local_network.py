"""A network of nodes on one RabbitMQ (the demo, the benchmarks, the tests): each node its own
vhost, broker user and data directory, linked as the tier tree says — the same code path as
separate machines, only the URIs differ. Each child's user gets rights on its parent's vhost for
its link and nothing else (BrokerAdmin.grant_child_link); each parent's vhost gets the policy
that bounds its children's link queues. A child's link can go through a proxy (tests cut it)."""
from __future__ import annotations

import copy
import os
import secrets
import uuid
from dataclasses import dataclass, field

from typing import Any, Callable

from shared.broker_admin import BrokerAdmin, BrokerAdminError, quoted

BROKER = "127.0.0.1:5672"
LINK_QUEUE_TTL_MS = 14 * 24 * 3600 * 1000  # a fortnight: longer than a village is expected to be away


@dataclass
class LocalNode:
    id: str
    tier: str
    area_code: str
    parent: "LocalNode | None"
    vhost: str
    user: str
    password: str
    proxy: Any = None  # something with a ``port`` the link goes through (a test's TCP proxy)
    upstream: str | None = None  # the parent's id when the parent is outside this network
    children: list = field(default_factory=list)
    former_area_codes: list = field(default_factory=list)  # its area's codes before a move

    def moved_in(self) -> list[str]:
        """Former codes in this node's subtree that lie outside its area: its parent lists them
        under this child (so the records' old-coded history may come up this way)."""
        codes = [code for child in self.children for code in [*child.former_area_codes, *child.moved_in()]]
        return [code for code in dict.fromkeys([*self.former_area_codes, *codes])
                if not code.startswith(self.area_code)]

    def amqp_uri(self, via: str = BROKER, vhost: str | None = None) -> str:
        return f"amqp://{self.user}:{self.password}@{via}/{vhost or self.vhost}"


class LocalNetwork:
    def __init__(self, base_config: dict, data_dir, prefix: str | None = None, queue_limit: int = 100_000,
                 admin: BrokerAdmin | None = None, password: Callable[[str], str] | None = None):
        """``prefix`` names the vhosts and users (default a random one, for tests running side
        by side); ``password(node_id)`` the users' passwords (default a random one each)."""
        self.base_config, self.data_dir = base_config, data_dir
        self.prefix = prefix or f"eldernet-{uuid.uuid4().hex[:6]}"
        self.admin = admin or BrokerAdmin()
        self.queue_limit = queue_limit
        self.password = password or (lambda node_id: secrets.token_urlsafe(18))
        self.nodes: dict[str, LocalNode] = {}

    def add(self, node_id: str, tier: str, area_code: str, parent: str | None = None,
            proxy: Any = None, upstream: str | None = None) -> LocalNode:
        """A node on the broker; ``proxy``: its link to the parent goes through ``proxy.port``;
        ``upstream``: the id of its parent when that is not part of this network."""
        node = LocalNode(node_id, tier, area_code, self.nodes[parent] if parent else None,
                         vhost=f"{self.prefix}-{node_id}", user=f"{self.prefix}-{node_id}",
                         password=self.password(node_id), proxy=proxy, upstream=upstream)
        self.admin.ensure_vhost(node.vhost)  # the management user may look in (status, tests)
        self.admin.ensure_user(node.user, node.password)
        self.admin.grant(node.vhost, node.user, ".*", ".*", ".*")
        self.admin.ensure_link_policy(node.vhost, self.queue_limit, LINK_QUEUE_TTL_MS)
        if node.parent is not None:
            self.admin.grant_child_link(node.parent.vhost, node.user, node.id)
            node.parent.children.append(node)
        self.nodes[node_id] = node
        return node

    def config(self, node_id: str) -> dict:
        node = self.nodes[node_id]
        config = copy.deepcopy(self.base_config)
        config["AMQP_URI"] = node.amqp_uri()
        section = config["ELDERNET"]
        section["node"] = {"id": node.id, "tier": node.tier, "area_code": node.area_code,
                           "parent": node.parent.id if node.parent else node.upstream or _parent_id_above(node),
                           "former_area_codes": list(node.former_area_codes)}
        section["data_dir"] = os.path.join(str(self.data_dir), node.id)
        sync = {"children": [{"id": c.id, "area_code": c.area_code, "broker_user": c.user,
                              "former_area_codes": c.moved_in()} for c in node.children]}
        if node.parent is not None:
            via = f"127.0.0.1:{node.proxy.port}" if node.proxy else BROKER
            sync["parent"] = {"id": node.parent.id, "area_code": node.parent.area_code,
                              "amqp_uri": node.amqp_uri(via, vhost=node.parent.vhost),
                              "broker_user": node.parent.user}
        section["sync"] = sync
        return config

    def repoint(self, node_id: str, new_parent: str) -> None:
        """Link ``node_id`` to another parent (a reorganised tier, a town node retired): rights on
        the new parent's vhost; both parents' configs change (their services must restart)."""
        node, parent = self.nodes[node_id], self.nodes[new_parent]
        if node.parent is not None:
            node.parent.children.remove(node)
        self.admin.grant_child_link(parent.vhost, node.user, node.id)
        node.parent = parent
        parent.children.append(node)

    def move(self, node_id: str, new_parent: str, new_area_code: str) -> None:
        """A village moved to another town gets a new code: its node keeps its old code as a
        former one, and the nodes above list it (shared/recoding.py); restart them all."""
        node = self.nodes[node_id]
        node.former_area_codes.append(node.area_code)
        node.area_code = new_area_code
        self.repoint(node_id, new_parent)

    def retire(self, node_id: str) -> None:
        """Take ``node_id`` out of its parent's children (its vhost goes at ``close``)."""
        node = self.nodes[node_id]
        if node.parent is not None:
            node.parent.children.remove(node)

    def close(self) -> None:
        for node in self.nodes.values():
            self.admin.delete_vhost(node.vhost)
            self.admin.delete_user(node.user)

    def forget(self, node_id: str) -> None:
        """Remove what an earlier run left on the broker for ``node_id`` (its vhost and user)."""
        for path in (f"/api/vhosts/{quoted(f'{self.prefix}-{node_id}')}", f"/api/users/{quoted(f'{self.prefix}-{node_id}')}"):
            try:
                self.admin.request("DELETE", path)
            except BrokerAdminError:
                pass  # not there: nothing to forget


def _parent_id_above(node: LocalNode) -> str | None:
    # A top node below the city (a network that starts at a town) still names a parent id.
    return None if node.tier == "city" else "unlinked-parent"
