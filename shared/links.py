"""The tier tree as data: a node's parent and children, and which node is the home of an area.

Declared in the node's config (docs/sync.md)::

    ELDERNET:
      node: {id: xinfu-s03, tier: town, area_code: "210402003", parent: xinfu}
      sync:
        parent: {id: xinfu, area_code: "210402", amqp_uri: "amqp://xinfu-s03:…@district-host/xinfu",
                 broker_user: xinfu}
        children:
          - {id: xinfu-s03-c001, area_code: "210402003001"}   # broker_user defaults to the id
          - {id: xinfu-s03-c007, area_code: "210402003007",   # a village moved here from another
             former_area_codes: ["210402004002"]}             # town: its records' old code

A node knows only its neighbours. That is enough for every decision the sync makes: what to
forward (areas are nested codes, so "inside my child's area" is a prefix test), whom to trust
(RabbitMQ checks that a message's ``user_id`` is the user that published it), and where the
home node of an aggregate lies (here, below through one child, or above through the parent).
An area that was re-coded (a village moved to another town, areas merged) keeps its records'
old codes in their history; the node and every ancestor up to where the old and new codes meet
list the old code as a former code of the area, and the recorded hand-off (shared/recoding.py)
teaches every node that stores it where the old code is written now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from shared.config import ConfigError, eldernet_section
from shared.events import is_area_code
from shared.node import Node, check_former_codes, former_codes


@dataclass(frozen=True)
class Neighbour:
    """The parent or a child of this node, as this node's config declares it."""

    id: str
    area_code: str
    broker_user: str
    amqp_uri: str | None = None  # the parent's broker, for a child; None for a child entry
    former_area_codes: tuple[str, ...] = ()  # codes of areas now in the child's that had another

    @property
    def prefixes(self) -> tuple[str, ...]:
        return (self.area_code, *self.former_area_codes)

    def contains(self, area_code: str | None) -> bool:
        return bool(area_code) and area_code.startswith(self.prefixes)

    @property
    def enclosing_areas(self) -> tuple[str, ...]:
        """The areas above the child's, under its current and former codes (the area tree's
        path to a record's old code is what the record refers to)."""
        return tuple(dict.fromkeys(code[:n] for code in self.prefixes for n in (2, 4, 6, 9) if n < len(code)))


@dataclass(frozen=True)
class Topology:
    node: Node
    parent: Neighbour | None
    children: tuple[Neighbour, ...] = ()
    # Re-coded areas this node has learnt of (old code -> new code), from the recorded hand-offs
    # in its store (shared/recoding.py); filled at start and as hand-offs arrive.
    recoded: dict[str, str] = field(default_factory=dict, compare=False)

    # -- who is who -------------------------------------------------------------------------
    def child_by_user(self, broker_user: str | None) -> Neighbour | None:
        return next((c for c in self.children if c.broker_user == broker_user), None)

    def child_for(self, area_code: str) -> Neighbour | None:
        """The child whose area holds ``area_code``, if any; the longest matching code wins (a
        village that moved from one child town to another is the new town's, by its former code)."""
        matches = [(len(code), child) for child in self.children for code in child.prefixes
                   if area_code and area_code.startswith(code)]
        return max(matches, key=lambda match: match[0])[1] if matches else None

    def current_code(self, area_code: str) -> str:
        """``area_code`` as it is called now, following the re-codings this node knows of."""
        for _ in range(16):  # a chain of moves is short; a cycle (bad data) must not hang
            old = next((code for code in self.recoded if area_code.startswith(code)), None)
            if old is None:
                break
            area_code = self.recoded[old] + area_code[len(old):]
        return area_code

    def home_of(self, area_code: str) -> str:
        """The node an aggregate about ``area_code`` is written at, as far as this node can tell:
        this node, the child whose area holds it, or (outside this node's area) the parent's side.
        A re-coded area is homed by its new code: its old home does not write it any more."""
        area_code = self.current_code(area_code)
        child = self.child_for(area_code)
        if child is not None:
            return child.id
        if self.node.contains(area_code):
            return self.node.id
        return self.parent.id if self.parent else self.node.id

    # -- what crosses a link ----------------------------------------------------------------
    @property
    def subtree(self) -> tuple[str, ...]:
        """The area-code prefixes of this node's subtree: its own codes, and a child's former
        codes that lie outside them (a village moved here from another town)."""
        own = self.node.prefixes
        extra = [code for child in self.children for code in child.former_area_codes
                 if not code.startswith(own)]
        return (*own, *extra)

    def holds(self, area_code: str | None) -> bool:
        return bool(area_code) and area_code.startswith(self.subtree)

    def encloses(self, area_code: str | None) -> bool:
        """``area_code`` is above this node's area, under one of the subtree's codes."""
        return bool(area_code) and any(code.startswith(area_code) for code in self.subtree)

    def goes_up(self, area_code: str, origin_area: str | None) -> bool:
        """Recorded in this node's subtree and about its area: the parent should have it."""
        return self.holds(area_code) and self.holds(origin_area or self.node.area_code)

    @staticmethod
    def goes_down(child: Neighbour, area_code: str, origin_area: str | None) -> bool:
        """About the child's area, or about an area that encloses it (reference data, city-wide
        policies), and not recorded in the child's own subtree (it has those already)."""
        relevant = child.contains(area_code) or area_code in child.enclosing_areas
        return relevant and not child.contains(origin_area)

    @classmethod
    def from_config(cls, config: Mapping) -> "Topology":
        node = Node.from_config(config)
        sync = eldernet_section(config).get("sync") or {}
        parent = _parent(node, sync)
        children = tuple(_neighbour(f"sync.children[{i}]", entry)
                         for i, entry in enumerate(sync.get("children") or ()))
        for index, child in enumerate(children):
            _check_child(node, index, child, children)
        return cls(node=node, parent=parent, children=children)


def _parent(node: Node, sync: Mapping) -> Neighbour | None:
    entry = sync.get("parent")
    if entry is None and sync.get("parent_amqp_uri"):
        # The first form of the config: only the URI; the parent's id and area from node.*.
        if node.tier.parent_tier is None:
            raise ConfigError("sync.parent_amqp_uri: a city node is the top of the network and has no parent")
        entry = {"id": node.parent, "amqp_uri": sync["parent_amqp_uri"],
                 "area_code": node.area_code[:node.tier.parent_tier.area_code_length]}
    if entry is None:
        return None
    parent = _neighbour("sync.parent", entry)
    if not parent.amqp_uri:
        raise ConfigError("sync.parent.amqp_uri: the parent's broker URI is required (the child connects)")
    if parent.id != node.parent:
        raise ConfigError(f"sync.parent.id {parent.id!r}: node.parent says {node.parent!r}")
    if not node.area_code.startswith(parent.area_code) or parent.area_code == node.area_code:
        raise ConfigError(f"sync.parent.area_code {parent.area_code!r}: must enclose this node's area "
                          f"{node.area_code}")
    return parent


def _neighbour(path: str, entry) -> Neighbour:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{path}: expected a mapping with id and area_code")
    node_id, area_code = str(entry.get("id") or ""), str(entry.get("area_code") or "")
    if not node_id:
        raise ConfigError(f"{path}.id: required")
    if not is_area_code(area_code):
        raise ConfigError(f"{path}.area_code {area_code!r}: a GB/T 2260 area code is required")
    former = former_codes(f"{path}.former_area_codes", entry.get("former_area_codes"))
    check_former_codes(f"{path}.former_area_codes", area_code, former)
    return Neighbour(id=node_id, area_code=area_code, broker_user=str(entry.get("broker_user") or node_id),
                     amqp_uri=entry.get("amqp_uri") or None, former_area_codes=former)


def _check_child(node: Node, index: int, child: Neighbour, children: tuple[Neighbour, ...]) -> None:
    path = f"sync.children[{index}]"
    if not node.contains(child.area_code) or child.area_code == node.area_code:
        raise ConfigError(f"{path}.area_code {child.area_code!r}: must lie inside this node's area "
                          f"{node.area_code}")
    for other in children[:index]:
        if other.id == child.id or other.broker_user == child.broker_user:
            raise ConfigError(f"{path}: id and broker_user must differ from sync.children entry {other.id!r}")
        if other.contains(child.area_code) or child.contains(other.area_code):
            raise ConfigError(f"{path}.area_code {child.area_code!r}: overlaps child {other.id!r} "
                              f"({other.area_code}); an area has one home node")
