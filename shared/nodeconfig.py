"""Writing a node's config file (``eldernet node init``)."""
from __future__ import annotations

import os

import yaml

from shared.config import ConfigError
from shared.node import Node, Tier

LOCAL_BROKER = "amqp://guest:guest@127.0.0.1:5672"
DEFAULT_HTTP_PORT = 8000


def node_config(node_id: str, tier: str, area_code: str, parent: str | None = None,
                amqp_uri: str | None = None, data_dir: str | None = None,
                metrics_port: int | None = None, http_port: int | None = None, sync: dict | None = None) -> dict:
    """``sync``: the node's links (``parent`` and ``children``, docs/configuration.md)."""
    try:
        node = Node(node_id, Tier(tier), area_code, parent)  # validates, naming the bad field
    except ValueError as error:
        raise ConfigError(str(error)) from None
    return {
        "AMQP_URI": amqp_uri or f"{LOCAL_BROKER}/eldernet-{node.id}",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{http_port or DEFAULT_HTTP_PORT}",
        "ELDERNET": {
            "node": {"id": node.id, "tier": node.tier.value, "area_code": node.area_code, "parent": node.parent},
            "data_dir": data_dir or os.path.join("var", node.id),
            "metrics": {"port": metrics_port},
            **({"sync": sync} if sync else {}),
        },
    }


def write_node_config(path: str, **answers) -> str:
    config = node_config(**answers)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("# eldernet node config; every key can be overridden by ELDERNET__<KEY>__<KEY> env vars\n")
        yaml.safe_dump(config, fh, sort_keys=False, allow_unicode=True)
    return path
