"""Pure domain logic in the decide / evolve style.

A service's domain module defines, for each aggregate, three plain functions::

    initial() -> State
    decide(state, command) -> list[DomainEvent]   # raises Rejected when the command is refused
    evolve(state, event) -> State

and bundles them in a :class:`Decider`. Commands carry their own time and ids, so ``decide``
is deterministic and the domain is tested without any I/O. Nothing in this module imports a
framework, a broker or a database (the import-linter contract in pyproject.toml checks it).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Callable, Generic, Iterable, TypeVar

State = TypeVar("State")


class Rejected(Exception):
    """The domain refused a command. ``field`` names the input that caused it, when one did."""

    def __init__(self, reason: str, field: str | None = None):
        super().__init__(reason if field is None else f"{field}: {reason}")
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class Decider(Generic[State]):
    """An aggregate's behaviour: how it starts, what it decides, how events change it."""

    category: str  # the stream category, e.g. "facility"; stream ids are "<category>-<id>"
    initial: Callable[[], State]
    decide: Callable[[State, Any], list]
    evolve: Callable[[State, Any], State]

    def fold(self, events: Iterable[Any], state: State | None = None) -> State:
        """The state after applying ``events`` in order to ``state`` (or the initial state)."""
        return reduce(self.evolve, events, self.initial() if state is None else state)

    def stream_id(self, aggregate_id: str) -> str:
        return f"{self.category}-{aggregate_id}"

    def run(self, history: Iterable[Any], command: Any) -> tuple[State, list]:
        """Decide on ``command`` given the aggregate's history; returns (new state, new events)."""
        state = self.fold(history)
        new_events = self.decide(state, command)
        return self.fold(new_events, state), new_events
