"""One direction of a sync link between two nodes: what crosses it, and how gaps are found.

A link is followed by a :class:`LinkRelay` on the sending side: the outbox relay pointed at the
peer, with its own cursor in the sender's database. Every message it sends carries the sender's
store position of that event and of the previous event it sent on the same link (a chain). The
receiver keeps, in its own database and in the same transaction as what it stores, the position
it has everything up to. So the receiver can tell, message by message:

* ``prev <= have < pos`` — the next one: apply it;
* ``pos <= have`` — sent again (a cursor reset, a re-sent batch): drop it;
* ``prev > have`` — something between was lost (an expired or purged queue, a restored
  database): drop it and ask the sender to re-send from ``have`` (anti-entropy). The sender
  moves its cursors back; what the receiver already has comes again and is dropped.
"""
from __future__ import annotations

import logging
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import cursors
from shared.events import Event, utcnow
from shared.links import Neighbour, Topology
from shared.outbox import OutboxRelay, to_message
from shared.publisher import OutgoingMessage
from shared.store import events_table

log = logging.getLogger(__name__)

PREV_HEADER = "x-eldernet-link-prev"
POS_HEADER = "x-eldernet-link-pos"
EPOCH_HEADER = "x-eldernet-link-epoch"  # bumped when what the link carries changes (see LinkRelay)
RESEND_TYPE = "eldernet.sync.ResendRequested"  # a control message, not an event
RESEND_FROM_HEADER = "x-eldernet-resend-from"


@dataclass(frozen=True)
class Link:
    """One direction of a link as the sender sees it."""

    name: str                       # "up:<parent id>" or "down:<child id>"
    peer: Neighbour
    select: Callable[[Event], bool]
    clause: sa.ColumnElement        # the same choice as SQL, for backlogs
    areas: tuple[str, ...] = ()     # the area codes the choice is made by (a change re-sends)

    @property
    def cursor(self) -> str:
        return f"sync:{self.name}"

    @property
    def sent_cursor(self) -> str:
        return f"sync:{self.name}:sent"

    @property
    def epoch_cursor(self) -> str:
        return f"sync:{self.name}:epoch"

    @property
    def areas_cursor(self) -> str:
        return f"sync:{self.name}:areas"

    @property
    def areas_fingerprint(self) -> int:
        return zlib.crc32(",".join(self.areas).encode()) or 1


def uplink(topology: Topology) -> Link | None:
    """To the parent: events about this node's area recorded in its subtree. The cursor is named
    after the parent, so a child re-pointed to another parent sends that parent its history."""
    if topology.parent is None:
        return None
    c = events_table.c
    subtree = topology.subtree
    clause = sa.and_(_inside(c.area_code, subtree), sa.or_(c.origin_area.is_(None), _inside(c.origin_area, subtree)))
    return Link(f"up:{topology.parent.id}", topology.parent,
                lambda e: topology.goes_up(e.area_code, e.origin_area), clause, subtree)


def downlinks(topology: Topology) -> list[Link]:
    return [_downlink(child) for child in topology.children]


def _downlink(child: Neighbour) -> Link:
    c = events_table.c
    enclosing = child.enclosing_areas
    clause = sa.and_(sa.or_(_inside(c.area_code, child.prefixes), c.area_code.in_(enclosing)),
                     sa.or_(c.origin_area.is_(None), sa.not_(_inside(c.origin_area, child.prefixes))))
    return Link(f"down:{child.id}", child, lambda e: Topology.goes_down(child, e.area_code, e.origin_area), clause,
                child.prefixes)


def _inside(column, prefixes) -> sa.ColumnElement:
    """``column`` lies inside one of the areas ``prefixes`` (a node's codes, current and former)."""
    return sa.or_(*(column.like(prefix + "%") for prefix in prefixes))


def received_cursor(peer_id: str) -> str:
    """The receiver's cursor: the sender's position it has everything up to."""
    return f"sync:in:{peer_id}"


def chain_step(have: int, prev: int, pos: int) -> str:
    """What to do with a message on a link: ``apply``, ``duplicate`` or ``gap``."""
    if pos <= have:
        return "duplicate"
    # prev < have happens when the sender's choice of events changed (a config change): all it
    # sent before this one is here already, so this one is next.
    return "apply" if prev <= have else "gap"


def link_epoch(message_headers) -> int:
    return int((message_headers or {}).get(EPOCH_HEADER, 0))


def link_position(message_headers) -> tuple[int, int] | None:
    headers = message_headers or {}
    if PREV_HEADER not in headers or POS_HEADER not in headers:
        return None
    return int(headers[PREV_HEADER]), int(headers[POS_HEADER])


def resend_request(routing_key: str, from_position: int, user_id: str) -> OutgoingMessage:
    return OutgoingMessage(routing_key=routing_key, body=b"{}", properties=dict(
        type=RESEND_TYPE, delivery_mode=2, user_id=user_id, content_type="application/json",
        application_headers={RESEND_FROM_HEADER: int(from_position)}))


def link_backlog(conn: Connection, link: Link) -> tuple[int, int, object]:
    """(cursor, events the link still has to send, recorded time of the oldest of them)."""
    position = cursors.get(conn, link.cursor)
    backlog, oldest = conn.execute(
        sa.select(sa.func.count(), sa.func.min(events_table.c.recorded_time))
        .where(events_table.c.position > position, link.clause)).one()
    return position, backlog, oldest


def age_seconds(recorded) -> float:
    """How old a stored time is, in seconds (0 for none); SQLite hands aggregates back as text."""
    if recorded is None:
        return 0.0
    if isinstance(recorded, str):
        recorded = datetime.fromisoformat(recorded)
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=timezone.utc)
    return max(0.0, (utcnow() - recorded).total_seconds())


class LinkRelay(OutboxRelay):
    """The outbox relay following one link: chain headers, the sender's user id, re-sends."""

    def __init__(self, store, publisher, link: Link, *, user_id: str, routing_key: str | None = None,
                 **kwargs):
        """``routing_key``: fixed (a child's own queue) or None for the event's own routing key."""
        super().__init__(store, publisher, name=link.cursor, select=link.select, **kwargs)
        self.link = link
        self.user_id = user_id
        self.routing_key = routing_key
        self._resend_from: int | None = None
        self._passed = 0  # how far the relay has read, sending or not (in memory only)
        self._stored = 0  # the cursor as this relay last stored it
        self._epoch: int | None = None  # read (and bumped if need be) by the first pass
        self._lock = threading.Lock()

    def resend_from(self, position: int) -> None:
        """Asked by the receiver (or an operator): go back to ``position``. Done by the relay's
        own loop, so a batch in flight cannot move the cursors past it afterwards."""
        with self._lock:
            self._resend_from = max(0, int(position))
        self.wake.set()

    def publish_pending(self) -> int:
        if self._epoch is None:
            self._epoch = self._follow_areas()
        self._apply_resend()
        with self.store.engine.connect() as conn:
            stored, prev = cursors.get(conn, self.link.cursor), cursors.get(conn, self.link.sent_cursor)
        if stored != self._stored:
            self._passed = self._stored = stored  # moved from outside (an operator, a restore): honour it
        # Events passed over without sending are not worth a commit each (a busy parent passes
        # over most of its store on each child's link); the cursor catches up with the next send,
        # and after a restart the pass is repeated — a read, nothing sent twice.
        position = max(stored, self._passed)
        published = 0
        while self._resend_from is None:  # a re-send request starts over at once, not after the backlog
            events = self.store.read_all(position, self.batch_size)
            if not events:
                return published
            chosen = [e for e in events if self.select(e)]
            if chosen:
                messages = []
                for event in chosen:
                    messages.append(self._message(event, prev))
                    prev = event.position
                self.publisher.publish_batch(messages)
                with self.store.engine.begin() as conn:
                    cursors.advance(conn, self.link.cursor, events[-1].position)
                    cursors.advance(conn, self.link.sent_cursor, prev)
                self._stored = events[-1].position
                published += len(chosen)
                self.on_published(chosen)
            position = self._passed = events[-1].position
        return published

    def _apply_resend(self) -> None:
        with self._lock:
            position, self._resend_from = self._resend_from, None
        if position is None:
            return
        with self.store.engine.begin() as conn:
            current = cursors.get(conn, self.link.cursor)
            target = min(position, current)
            cursors.advance(conn, self.link.cursor, target)
            cursors.advance(conn, self.link.sent_cursor, target)
        self._passed = self._stored = target

    def _follow_areas(self) -> int:
        """The link's epoch. When the areas the link's choice is made by have changed since the
        last run (a village moved in under a former code, shared/recoding.py), events it passed
        over may belong to it now: it starts over from the beginning in a new epoch, and the
        receiver, seeing the new epoch, takes the history again (what it has is recognised)."""
        with self.store.engine.begin() as conn:
            epoch, known = cursors.get(conn, self.link.epoch_cursor), cursors.get(conn, self.link.areas_cursor)
            if known == self.link.areas_fingerprint:
                return epoch
            cursors.advance(conn, self.link.areas_cursor, self.link.areas_fingerprint)
            if not known:
                return epoch  # first run of this link (or of this version): nothing passed over
            epoch += 1
            cursors.advance(conn, self.link.epoch_cursor, epoch)
            cursors.advance(conn, self.link.cursor, 0)
            cursors.advance(conn, self.link.sent_cursor, 0)
        log.info("link %s now chooses by areas %s: sending its history again (epoch %d)", self.link.name,
                 ", ".join(self.link.areas), epoch)
        self._passed = self._stored = 0
        return epoch

    def _message(self, event: Event, prev: int) -> OutgoingMessage:
        message = to_message(event)
        headers = {PREV_HEADER: prev, POS_HEADER: event.position, EPOCH_HEADER: self._epoch or 0}
        return OutgoingMessage(routing_key=self.routing_key or message.routing_key, body=message.body,
                               properties=dict(message.properties, user_id=self.user_id,
                                               application_headers=headers))
