"""The unit of work: one transaction over a service's store, inbox, cursors and read models.

Typical use in a service (inside a nameko entrypoint, through the UnitOfWork provider)::

    with self.uow() as uow:
        events = uow.execute(facility.decider, command.facility_id, command,
                             area_code=command.area_code)

``execute`` loads the aggregate's history, folds it into state, lets the pure domain decide,
wraps the new domain events in envelopes and appends them with the expected version, then
applies them to the projections, all before one commit. A concurrent writer makes the append
raise ConcurrencyError and nothing is committed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

from sqlalchemy.engine import Connection

from shared import cursors, held, inbox
from shared.aggregate import Decider, Rejected
from shared.events import Event, utcnow
from shared.node import Node
from shared.projections import Projections
from shared.schemas import EventRegistry
from shared.store import ANY_VERSION, AppendResult, EventStore


@dataclass
class InboxEntry:
    """An event a consumer is handling; recorded in the first unit of work that commits."""

    consumer: str
    event: Event
    recorded: bool = False
    # A sync link's received cursor (name, the sender's position), advanced with the inbox.
    link_cursor: tuple[str, int] | None = None


@dataclass
class ServiceContext:
    """What a unit of work needs to know about the service it works for."""

    node: Node
    service: str
    store: EventStore
    registry: EventRegistry
    projections: Projections
    on_appended: Callable[[list[Event], float], None] = lambda events, seconds: None
    on_committed: Callable[[list[Event]], None] = lambda events: None
    # Single writer (tiered sync): the node this stream's new events must be written at.
    home_node: Callable[[str, str], str] | None = None
    # Re-homing: the node this record came from, while its hand-off has not arrived yet.
    awaiting_handoff: Callable[[Connection, str], str | None] = lambda conn, stream_id: None
    # Called in the unit of work after a received event is stored (re-homing, shared/handoff.py).
    after_ingest: Callable[["UnitOfWork", Event], None] = lambda uow, event: None
    # The streams an event received over a sync link needs before it can be stored.
    references: Callable[[Event], Sequence[str]] = lambda event: ()
    # The events a received event brings with it, stored before it (a moved record's history,
    # shared/record_handoff.py); they are stored as received, without waiting for references.
    carried: Callable[[Event], Sequence[Event]] = lambda event: ()
    # Records a moved record's hand-off (shared/record_handoff.py): (uow, stream, from, to).
    hand_over: Callable[["UnitOfWork", str, str, str], None] = lambda uow, stream_id, from_area, to_area: None

    @property
    def source(self) -> str:
        return self.node.source(self.service)


@dataclass
class UnitOfWork:
    context: ServiceContext
    inbox_entry: InboxEntry | None = None
    conn: Connection | None = None
    appended: list[Event] = field(default_factory=list)
    carried_ids: set[str] = field(default_factory=set)  # received history: stored without its references

    def __enter__(self) -> "UnitOfWork":
        self.conn = self.context.store.engine.connect()
        self._tx = self.conn.begin()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._record_inbox()
                self._tx.commit()
                if self.inbox_entry is not None:
                    self.inbox_entry.recorded = True
            else:
                self._tx.rollback()
        finally:
            self.conn.close()
        if exc_type is None and self.appended:
            self.context.on_committed(self.appended)

    # -- the domain ------------------------------------------------------------------------
    def load(self, decider: Decider, aggregate_id: str) -> tuple[Any, int]:
        """The aggregate's current state and version."""
        history = self.context.store.read_stream(decider.stream_id(aggregate_id), conn=self.conn)
        state = decider.fold(self.context.registry.to_domain(e) for e in history)
        return state, (history[-1].stream_version if history else 0)

    def execute(self, decider: Decider, aggregate_id: str, command: Any, *, area_code: str,
                at: datetime | None = None, correlation_id: str | None = None,
                causation_id: str | None = None) -> list[Event]:
        """Decide on ``command`` against the aggregate and append what the domain decided.

        ``at`` (default: the command's ``at`` attribute, else now) is when the fact happened.
        """
        stream_id = decider.stream_id(aggregate_id)
        # Home first: a node that is not the stream's home may hold a stale synced copy, and the
        # domain's refusal on that copy would hide the answer that gets the command forwarded.
        self.require_home(stream_id, area_code)
        state, version = self.load(decider, aggregate_id)
        domain_events = decider.decide(state, command)
        return self.record(stream_id, version, domain_events, area_code=area_code,
                           at=at or getattr(command, "at", None), correlation_id=correlation_id,
                           causation_id=causation_id, check_home=False)

    def record(self, stream_id: str, expected_version: int | None, domain_events: Sequence[Any], *,
               area_code: str, at: datetime | None = None, correlation_id: str | None = None,
               causation_id: str | None = None, check_home: bool = True) -> list[Event]:
        """Wrap domain events in envelopes and append them to ``stream_id``. ``check_home``
        False only for the kernel's own records about homes (shared/handoff.py)."""
        if causation_id is None and self.inbox_entry is not None:
            causation_id = self.inbox_entry.event.id
            correlation_id = correlation_id or self.inbox_entry.event.correlation_id
        if check_home:
            self.require_home(stream_id, area_code)
        envelopes = [self._envelope(stream_id, e, area_code, at, correlation_id, causation_id)
                     for e in domain_events]
        return self.append(stream_id, expected_version, envelopes).events

    def hand_over(self, stream_id: str, from_area: str, to_area: str) -> None:
        """The record ``stream_id`` just moved from ``from_area`` to ``to_area``: when that moves
        its home to another node, record the hand-off that takes its history there
        (shared/record_handoff.py). Call it after recording the move, in the same unit of work."""
        self.context.hand_over(self, stream_id, from_area, to_area)

    def append(self, stream_id: str, expected_version: int | None, events: Sequence[Event]) -> AppendResult:
        """Append ready-made envelopes (sync and imports use this) and project them; events held
        for this stream (shared/held.py) are stored right after it."""
        result = self._append(stream_id, expected_version, events)
        released = held.take(self.conn, stream_id)
        if released:
            self._ingest(released)
        return result

    def ingest(self, event: Event) -> list[Event]:
        """Store an event recorded elsewhere (tiered sync) as it is: id, source, origin node,
        times and its version in its stream kept. If it cannot be stored yet (its stream's
        previous version, or a record it refers to, has not arrived) it is held and stored when
        that arrives (shared/held.py). A different history of the same stream raises
        ConcurrencyError (retried, then dead-lettered): under the single-writer rule it cannot arise."""
        # Serialize with every other append: a held event and the append that releases it must
        # not pass each other (on PostgreSQL two transactions could, each not seeing the other).
        self.context.store.lock_head(self.conn)
        return self._ingest([event])

    def _ingest(self, pending: list[Event]) -> list[Event]:
        stored = []
        while pending:
            candidate = pending.pop(0)
            if self.context.store.contains(candidate, self.conn):
                continue  # came by another path first (a re-pointed child's re-sent history)
            carried = [e for e in self.context.carried(candidate) if e.id not in self.carried_ids]
            if carried:  # a moved record's history first, then the hand-off that brought it
                self.carried_ids.update(e.id for e in carried)
                pending[:0] = [*carried, candidate]
                continue
            waiting_for = self._waiting_for(candidate)
            if waiting_for:
                held.hold(self.conn, candidate, waiting_for)
                continue
            stored += self._append(candidate.stream_id, candidate.stream_version - 1,
                                   [candidate.replace(position=None)]).events
            self.context.after_ingest(self, candidate)
            pending += held.take(self.conn, candidate.stream_id)
        return stored

    def _append(self, stream_id: str, expected_version: int | None, events: Sequence[Event]) -> AppendResult:
        started = time.perf_counter()
        result = self.context.store.append(stream_id, expected_version, events, conn=self.conn)
        self.context.projections.apply(self.conn, result.events)
        self.context.on_appended(result.events, time.perf_counter() - started)
        self.appended.extend(result.events)
        return result

    def _waiting_for(self, event: Event) -> str | None:
        store = self.context.store
        if store.stream_version(event.stream_id, self.conn) < event.stream_version - 1:
            return event.stream_id
        if event.id in self.carried_ids:
            return None  # its references were checked where it was written
        return next((s for s in self.context.references(event) if store.stream_version(s, self.conn) == 0), None)

    def is_home(self, stream_id: str, area_code: str) -> bool:
        """Whether this node writes ``stream_id`` for a record in ``area_code`` (single writer): a
        consumer that sees every node's events acts only on those it is the home of."""
        home = self.context.home_node(stream_id, area_code) if self.context.home_node else None
        return home is None or home == self.context.node.id

    def require_home(self, stream_id: str, area_code: str) -> None:
        """NotHomeNode (the HTTP request is forwarded there) unless this node writes ``stream_id``."""
        home = self.context.home_node(stream_id, area_code) if self.context.home_node else None
        if home is not None and home != self.context.node.id:
            raise NotHomeNode(stream_id, home, self.context.node.id)
        previous = self.context.awaiting_handoff(self.conn, stream_id)
        if previous is not None:
            raise NotHomeNode(stream_id, previous, self.context.node.id,
                              why=f"its home moves here from {previous}, whose hand-off has not arrived yet")

    def _envelope(self, stream_id: str, domain_event: Any, area_code: str, when: datetime | None,
                  correlation_id: str | None, causation_id: str | None) -> Event:
        type_, data, version = self.context.registry.serialize(domain_event)
        event = Event(type=type_, source=self.context.source, subject=stream_id, data=data,
                      stream_id=stream_id, stream_version=1, origin_node=self.context.node.id,
                      origin_area=self.context.node.area_code, area_code=area_code, time=when or utcnow(), causation_id=causation_id,
                      schema_version=version)
        return event.replace(correlation_id=correlation_id or event.id)

    # -- consumers -------------------------------------------------------------------------
    def _record_inbox(self) -> None:
        entry = self.inbox_entry
        if entry is not None and not entry.recorded:
            record_handled(self.conn, entry)


def record_handled(conn: Connection, entry: InboxEntry) -> None:
    """The consumed event into the inbox and, for a sync link, the link's cursor past it."""
    inbox.record(conn, entry.consumer, entry.event)
    if entry.link_cursor is not None:
        cursors.advance(conn, *entry.link_cursor)


class NotHomeNode(Rejected):
    """Single writer: this node may not append to the stream; its home node must (docs/sync.md)."""

    def __init__(self, stream_id: str, home: str, here: str, why: str | None = None):
        super().__init__(f"{stream_id} is written at its home node {home}, not at {here}"
                         + (f" ({why})" if why else "") + f"; send the request to {home}", field="area_code")
        self.home_node = home


__all__ = ["ANY_VERSION", "InboxEntry", "NotHomeNode", "ServiceContext", "UnitOfWork"]
