"""The identity table: the only place an elder's full ID number is kept.

Events and read models carry the masked number and an HMAC of it; the HMAC key is the node's
secret (config ``ELDERNET.registry.identity_key``, or a key file made once in the data dir), so
the hash cannot be reversed by trying every birth date. A second registration of the same person
is found by the hash. Rows are written in the same transaction as the elder's events.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.registry.projections import metadata

identities = sa.Table(
    "registry_identities", metadata,
    sa.Column("elder_id", sa.String(64), primary_key=True),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("id_hash", sa.String(64), nullable=False, unique=True),
)


def load_key(configured: str | None, data_dir: str) -> bytes:
    if configured:
        return configured.encode()
    path = os.path.join(data_dir, "registry-identity.key")
    if not os.path.exists(path):
        os.makedirs(data_dir, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    with open(path, encoding="ascii") as fh:
        return fh.read().strip().encode()


def id_hash(key: bytes, id_number: str) -> str:
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def elder_with_hash(conn: Connection, hash_: str) -> str | None:
    row = conn.execute(sa.select(identities.c.elder_id).where(identities.c.id_hash == hash_)).first()
    return row[0] if row else None


def remember(conn: Connection, elder_id: str, id_number: str, hash_: str) -> None:
    conn.execute(identities.insert().values(elder_id=elder_id, id_number=id_number.strip().upper(), id_hash=hash_))


def create_table(engine) -> None:
    identities.create(engine, checkfirst=True)
