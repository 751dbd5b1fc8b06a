"""A network of nodes on the local RabbitMQ for tests: each node its own vhost, broker user and
data directory, linked as the tier tree says — the same code path as separate machines, only
the URIs differ. A child's link to its parent can go through a TCP proxy the test cuts."""
from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field

from shared.broker_admin import BrokerAdmin
from tests.support.tcp_proxy import TcpProxy

BROKER = "127.0.0.1:5672"
PASSWORD = "test-link-secret"


@dataclass
class TestNode:
    id: str
    tier: str
    area_code: str
    parent: "TestNode | None"
    vhost: str
    user: str
    proxy: TcpProxy | None = None
    children: list = field(default_factory=list)

    def amqp_uri(self) -> str:
        return f"amqp://{self.user}:{PASSWORD}@{BROKER}/{self.vhost}"


class Network:
    def __init__(self, base_config: dict, tmp_path, queue_limit: int = 100_000):
        self.base_config, self.tmp_path = base_config, tmp_path
        self.suffix = uuid.uuid4().hex[:6]
        self.admin = BrokerAdmin()
        self.queue_limit = queue_limit
        self.nodes: dict[str, TestNode] = {}

    def add(self, node_id: str, tier: str, area_code: str, parent: str | None = None,
            cut_able: bool = False) -> TestNode:
        """A node; ``cut_able``: its link to the parent goes through a proxy (``node.proxy``)."""
        node = TestNode(node_id, tier, area_code, self.nodes[parent] if parent else None,
                        vhost=f"eldernet-test-{self.suffix}-{node_id}", user=f"{node_id}-{self.suffix}")
        self.admin.ensure_vhost(node.vhost)  # the test's management user (guest) may look in
        self.admin.ensure_user(node.user, PASSWORD)
        self.admin.grant(node.vhost, node.user, ".*", ".*", ".*")
        self.admin.ensure_link_policy(node.vhost, self.queue_limit, 14 * 24 * 3600 * 1000)
        if node.parent is not None:
            self.admin.grant_child_link(node.parent.vhost, node.user, node.id)
            node.parent.children.append(node)
            node.proxy = TcpProxy() if cut_able else None
        self.nodes[node_id] = node
        return node

    def config(self, node_id: str) -> dict:
        node = self.nodes[node_id]
        config = copy.deepcopy(self.base_config)
        config["AMQP_URI"] = node.amqp_uri()
        section = config["ELDERNET"]
        section["node"] = {"id": node.id, "tier": node.tier, "area_code": node.area_code,
                           "parent": node.parent.id if node.parent else _parent_id_above(node)}
        section["data_dir"] = str(self.tmp_path / node.id)
        sync = {"children": [{"id": c.id, "area_code": c.area_code, "broker_user": c.user} for c in node.children]}
        if node.parent is not None:
            via = f"127.0.0.1:{node.proxy.port}" if node.proxy else BROKER
            sync["parent"] = {"id": node.parent.id, "area_code": node.parent.area_code,
                              "amqp_uri": f"amqp://{node.user}:{PASSWORD}@{via}/{node.parent.vhost}",
                              "broker_user": node.parent.user}
        section["sync"] = sync
        return config

    def close(self) -> None:
        for node in self.nodes.values():
            if node.proxy:
                node.proxy.close()
            self.admin.delete_vhost(node.vhost)
            self.admin.delete_user(node.user)


def _parent_id_above(node: TestNode) -> str | None:
    # A top node below the city (a test network that starts at a town) still names a parent id.
    return None if node.tier == "city" else "unlinked-parent"
