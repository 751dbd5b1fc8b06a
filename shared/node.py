"""A node: one tier of the network (city, district, town/street or village/community).

Each node has an id, a tier, an area code, an optional parent node, its own RabbitMQ vhost
(in its AMQP URI) and its own databases (one per service). Several nodes run side by side on
one machine by giving each its own vhost, data directory and ports.
"""
from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from typing import Mapping

from shared.config import ConfigError, eldernet_section
from shared.events import is_area_code

_NODE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class Tier(enum.Enum):
    """The four tiers (四级养老服务网络) and the length of their area codes."""

    CITY = "city"            # 市
    DISTRICT = "district"    # 区县
    TOWN = "town"            # 镇 / 街道
    VILLAGE = "village"      # 村 / 社区

    @property
    def area_code_length(self) -> int:
        return {"city": 4, "district": 6, "town": 9, "village": 12}[self.value]

    @property
    def parent_tier(self) -> "Tier | None":
        order = list(Tier)
        index = order.index(self)
        return order[index - 1] if index else None


@dataclass(frozen=True)
class Node:
    id: str
    tier: Tier
    area_code: str
    parent: str | None = None
    # Codes this node's area had before it was re-coded (a village moved to another town, areas
    # merged): its records written under those codes are still its own (docs/sync.md, re-homing).
    former_area_codes: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.id, str) or not _NODE_ID.fullmatch(self.id):
            raise ConfigError(f"node.id {self.id!r}: use 1-63 lowercase letters, digits and '-'")
        if not is_area_code(self.area_code) or len(self.area_code) != self.tier.area_code_length:
            raise ConfigError(
                f"node.area_code {self.area_code!r}: a {self.tier.value} node needs a "
                f"{self.tier.area_code_length}-digit area code")
        if self.tier is Tier.CITY and self.parent:
            raise ConfigError("node.parent: a city node is the top of the network and has no parent")
        if self.tier is not Tier.CITY and not self.parent:
            raise ConfigError(f"node.parent: a {self.tier.value} node needs the id of its parent node")
        check_former_codes("node.former_area_codes", self.area_code, self.former_area_codes)

    def source(self, service: str) -> str:
        """CloudEvents ``source`` of what ``service`` records on this node."""
        return f"/eldernet/{self.id}/{service}"

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.area_code, *self.former_area_codes)

    def contains(self, area_code: str | None) -> bool:
        """Whether ``area_code`` lies inside this node's area, under its code or a former one (a
        prefix test on GB/T 2260 codes)."""
        return bool(area_code) and area_code.startswith(self.prefixes)

    @classmethod
    def from_config(cls, config: Mapping) -> "Node":
        node = eldernet_section(config).get("node") or {}
        try:
            tier = Tier(str(node.get("tier", "")).lower())
        except ValueError:
            raise ConfigError(f"node.tier {node.get('tier')!r}: one of city, district, town, village") from None
        return cls(id=str(node.get("id", "")), tier=tier, area_code=str(node.get("area_code", "")),
                   parent=node.get("parent") or None,
                   former_area_codes=former_codes("node.former_area_codes", node.get("former_area_codes")))


def former_codes(path: str, value) -> tuple[str, ...]:
    """A config list of former area codes (strings; YAML may have read them as numbers)."""
    if value is None:
        return ()
    if isinstance(value, (str, int)) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{path}: expected a list of area codes, e.g. [\"210402003001\"]")
    return tuple(str(code) for code in value)


def check_former_codes(path: str, area_code: str, former: tuple[str, ...]) -> None:
    for index, code in enumerate(former):
        if not is_area_code(code):
            raise ConfigError(f"{path}[{index}] {code!r}: a GB/T 2260 area code is required")
        if code.startswith(area_code) or area_code.startswith(code):
            raise ConfigError(f"{path}[{index}] {code!r}: a former code must not overlap the area's "
                              f"current code {area_code}")


def database_url(config: Mapping, service: str) -> str:
    """The service's database on this node: configured, or a SQLite file in the data dir."""
    section = eldernet_section(config)
    configured = (section.get("databases") or {}).get(service)
    if configured:
        return configured
    data_dir = os.path.abspath(section.get("data_dir") or "var/local")
    return f"sqlite:///{os.path.join(data_dir, service + '.db')}"
