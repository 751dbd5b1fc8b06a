"""Read models fed by events, and rebuilding any of them by replaying the store.

A projection owns some tables and knows how one event changes them. Projections run in the
same transaction as the append that produced the event (the unit of work calls
:meth:`Projections.apply`), and each keeps a cursor (``projection:<name>``) there too; so a read
model is never ahead of or behind the store it was committed with. A projection that is new or
was rebuilt catches up from its cursor first. :meth:`Projections.rebuild` empties a read model and
replays the store from position 0, in pages, reporting progress.
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shared import cursors
from shared.events import Event
from shared.store import EventStore

Progress = Callable[[int, int], None]  # (events replayed so far, events to replay in all)


class UnknownProjection(LookupError):
    """A projection name that the service does not have."""


class Projection:
    """Subclass: set ``name``, ``tables`` and ``handles``; implement ``apply``."""

    name: str = ""
    tables: Sequence[sa.Table] = ()
    handles: frozenset[str] = frozenset()  # event types; empty means every type

    def apply(self, conn: Connection, event: Event) -> None:
        raise NotImplementedError

    def wants(self, event: Event) -> bool:
        return not self.handles or event.type in self.handles

    def reset(self, conn: Connection) -> None:
        """Empty the read model (children first, so foreign keys hold)."""
        for table in reversed(list(self.tables)):
            conn.execute(table.delete())

    @property
    def cursor_name(self) -> str:
        return f"projection:{self.name}"


class Projections:
    """The projections of one service database."""

    def __init__(self, store: EventStore, projections: Iterable[Projection] = ()):
        self.store = store
        self.by_name = {p.name: p for p in projections}

    def create_tables(self) -> None:
        for projection in self.by_name.values():
            for table in projection.tables:
                table.create(self.store.engine, checkfirst=True)

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        """Apply newly appended ``events`` (already in ``conn``'s transaction) to every projection."""
        if not events:
            return
        for projection in self.by_name.values():
            position = cursors.get(conn, projection.cursor_name)
            if position < events[0].position - 1:
                position = self._catch_up(conn, projection, position, events[0].position - 1)
            fresh = [e for e in events if e.position > position]
            self._apply_events(conn, projection, fresh)

    def catch_up(self) -> dict[str, int]:
        """Bring every projection up to the store's head; returns events applied per projection."""
        applied = {}
        for projection in self.by_name.values():
            with self.store.engine.begin() as conn:
                head = self.store.lock_head(conn)  # no append may slip in between cursor and head
                start = cursors.get(conn, projection.cursor_name)
                self._catch_up(conn, projection, start, head)
                applied[projection.name] = head - start
        return applied

    def rebuild(self, name: str, progress: Progress | None = None, page_size: int = 1000) -> int:
        """Empty projection ``name`` and replay the whole store into it; returns events replayed."""
        projection = self.projection(name)
        with self.store.engine.begin() as conn:
            head = self.store.lock_head(conn)  # appends wait until the rebuilt model is committed
            projection.reset(conn)
            cursors.advance(conn, projection.cursor_name, 0)
            return self._catch_up(conn, projection, 0, head, progress, page_size)

    def projection(self, name: str) -> Projection:
        try:
            return self.by_name[name]
        except KeyError:
            known = ", ".join(sorted(self.by_name)) or "none"
            raise UnknownProjection(f"no projection named {name!r} (known: {known})") from None

    def _catch_up(self, conn: Connection, projection: Projection, after: int, until: int,
                  progress: Progress | None = None, page_size: int = 1000) -> int:
        position, total = after, until - after
        while position < until:
            page = [e for e in self.store.read_all(position, page_size, conn=conn) if e.position <= until]
            if not page:
                break
            self._apply_events(conn, projection, page)
            position = page[-1].position
            if progress:
                progress(position - after, total)
        return position

    @staticmethod
    def _apply_events(conn: Connection, projection: Projection, events: Sequence[Event]) -> None:
        for event in events:
            if projection.wants(event):
                projection.apply(conn, event)
        if events:
            cursors.advance(conn, projection.cursor_name, events[-1].position)
