"""``eldernet node absorb``: a merge of two areas that each ran a node — the continuing node takes
the retired node's stores in.

When two villages (or towns) are merged, one node goes on and the other is retired. The retired
node's records were recorded under its own area code at its own node; the continuing node must
hold them before it can write them (single writer) and before the old code is re-coded to its own
(shared/recoding.py: ``node.former_area_codes``). So each service's events are copied from the
retired node's store into the continuing node's store **as received events** — ids, sources,
origins and stream versions kept, in the retired store's order, each stored once however often
the command is run — with the read models updated in the same transactions and the retired
node's inbox merged (what it consumed is not consumed again). Nothing is ever rewritten: an event
the continuing node holds already is recognised, and a stream whose two histories disagree stops
the import with the stream named, nothing of that page stored.

Run it with both nodes stopped, after the retired node's uplink was drained (``eldernet sync
status``: backlog 0), then start the continuing node with the retired code in
``node.former_area_codes`` (docs/sync.md, "Merging two areas that each ran a node").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import sqlalchemy as sa

from shared.db import make_engine
from shared.dependencies import register_kernel_events
from shared.inbox import inbox_table
from shared.node import Node, database_url
from shared.projections import Projections
from shared.runner import load_service, node_services, service_name
from shared.status import _event_sourced_of, sqlite_missing
from shared.store import ConcurrencyError, EventStore
from shared.unit_of_work import ServiceContext, UnitOfWork

Progress = Callable[[int, int, str], None]
PAGE = 500  # events per transaction: a page is stored whole or not at all


class AbsorbError(RuntimeError):
    pass


@dataclass
class Absorbed:
    service: str
    read: int = 0
    stored: int = 0
    inbox: int = 0
    skipped: list[str] = field(default_factory=list)


def absorb_node(config: Mapping, retired: Mapping, progress: Progress | None = None) -> list[Absorbed]:
    """Copy every service's events (and inbox) of the ``retired`` node's config into ``config``'s."""
    here, gone = Node.from_config(config), Node.from_config(retired)
    if here.id == gone.id:
        raise AbsorbError(f"both configs are node {here.id}: --from names the retired node's config")
    retired_services = {service_name(entry) for entry in node_services(retired)}
    results = []
    for entry in node_services(config):
        name = service_name(entry)
        source_url = database_url(retired, name)
        if name not in retired_services or sqlite_missing(source_url):
            results.append(Absorbed(name, skipped=["the retired node has no store for it"]))
            continue
        results.append(_absorb_service(config, here, entry, name, source_url, progress))
    return results


def _absorb_service(config: Mapping, here: Node, entry: str, name: str, source_url: str,
                    progress: Progress | None) -> Absorbed:
    provider = _event_sourced_of(load_service(entry))
    register_kernel_events(provider.registry, name)
    source, target = make_engine(source_url), make_engine(database_url(config, name))
    try:
        store, retired_store = EventStore(target), EventStore(source)
        store.create_schema()
        projections = Projections(store, provider.projection_list)
        projections.create_tables()
        context = ServiceContext(node=here, service=name, store=store, registry=provider.registry,
                                 projections=projections, references=provider.references)
        result = Absorbed(name)
        total = retired_store.head_position()
        for page in retired_store.iter_all(0, PAGE):
            result.stored += _store_page(context, page)
            result.read += len(page)
            if progress:
                progress(result.read, total, f"{name}: absorbing")
        result.inbox = _merge_inbox(source, target)
        return result
    finally:
        source.dispose()
        target.dispose()


def _store_page(context: ServiceContext, page) -> int:
    try:
        with UnitOfWork(context) as uow:
            # The retired store was whole: its records' references (an area that only its node
            # was sent) are not awaited here.
            uow.carried_ids.update(event.id for event in page)
            for event in page:
                uow.ingest(event.replace(position=None))
            return len(uow.appended)
    except ConcurrencyError as error:
        raise AbsorbError(f"{error}: the two nodes hold different histories of that record; nothing of this "
                          "page was stored — find out which node wrote it last before going on") from None


def _merge_inbox(source, target) -> int:
    with source.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(inbox_table))]
    c = inbox_table.c
    added = 0
    with target.begin() as conn:
        for row in rows:
            key = (c.consumer == row["consumer"]) & (c.source == row["source"]) & (c.event_id == row["event_id"])
            if conn.execute(sa.select(sa.literal(1)).where(key)).first() is None:
                conn.execute(inbox_table.insert().values(**row))
                added += 1
    return added


__all__ = ["AbsorbError", "Absorbed", "absorb_node"]
