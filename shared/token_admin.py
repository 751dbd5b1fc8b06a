"""``eldernet token create | revoke | list``: a node's API tokens, managed on the node's machine.

The commands write to the node service's store directly, through a unit of work built outside
nameko (no broker needed): the events land in the store like any other, the ``api_tokens`` read
model changes in the same transaction (so a running gateway sees a new or revoked token at
once), and the node's outbox relay publishes the events on its next poll, or when the node next
runs. The secret of a new token is returned once, to be shown once; only its hash is kept.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator, Mapping

from shared.config import eldernet_section
from shared.db import make_engine
from shared.events import utcnow
from shared.node import Node, database_url
from shared.node_service import NodeService
from shared.projections import Projections
from shared.store import EventStore
from shared.tokens import (IssueToken, RevokeToken, TokenRecord, find_token, new_token, secret_sha256, token,
                           tokens_inside)
from shared.unit_of_work import ServiceContext, UnitOfWork

SERVICE = NodeService.name


@contextmanager
def node_store(config: Mapping) -> Iterator[ServiceContext]:
    """The node service's store, read models and event registry, as its nameko provider sets them up."""
    provider = NodeService.uow  # the same registry and projections as the running service
    engine = make_engine(database_url(config, SERVICE),
                         sqlite_synchronous=eldernet_section(config).get("sqlite_synchronous", "FULL"))
    try:
        store = EventStore(engine)
        store.create_schema()
        projections = Projections(store, provider.projection_list)
        projections.create_tables()
        projections.catch_up()
        yield ServiceContext(node=Node.from_config(config), service=SERVICE, store=store,
                             registry=provider.registry, projections=projections)
    finally:
        engine.dispose()


def issue_token(config: Mapping, area_code: str, role: str, label: str = "", expires_in_days: int | None = None,
                now: datetime | None = None) -> tuple[str, TokenRecord]:
    """Record a new token; returns the token string (the only time it exists) and its record."""
    now = now or utcnow()
    text, token_id, secret = new_token()
    expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
    with node_store(config) as context:
        command = IssueToken(token_id, label, area_code, role, expires_at, secret_sha256(secret),
                             context.node.area_code, now)
        with UnitOfWork(context) as uow:
            uow.execute(token, token_id, command, area_code=area_code)
            record = find_token(uow.conn, token_id)
    return text, record


def revoke_token(config: Mapping, token_id: str, reason: str = "", now: datetime | None = None) -> TokenRecord:
    with node_store(config) as context:
        with UnitOfWork(context) as uow:
            record = find_token(uow.conn, token_id)
            area_code = record.area_code if record else context.node.area_code  # decide() refuses the unknown
            uow.execute(token, token_id, RevokeToken(token_id, reason, now or utcnow()), area_code=area_code)
            return find_token(uow.conn, token_id)


def list_tokens(config: Mapping) -> list[TokenRecord]:
    url = database_url(config, SERVICE)
    if url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///"):]):
        return []  # the node never ran and no token was made: looking does not create a database
    with node_store(config) as context, context.store.engine.connect() as conn:
        return tokens_inside(conn)[0]
