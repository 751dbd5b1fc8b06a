"""``eldernet node backup``: a consistent copy of a node's SQLite stores and its key files, while it runs.

Each service's SQLite database is copied with SQLite's online backup API, which copies one
consistent snapshot even while the service writes (a plain ``cp`` of a WAL database can copy a torn
file, or miss what is still in ``-wal``). Each database holds the service's event store, read
models, inbox and cursors together, so its copy is consistent in itself; services are independent
of each other (what one consumed from another is in its own inbox). The data directory's key files
(``*.key``: the registry's identity key, without which duplicate elders can no longer be recognised)
are copied too. A PostgreSQL database is not copied here: the ``pg_dump`` command for it is printed.
``manifest.json`` says what was copied: per service, the store's head position and schema revision.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
from typing import Callable, Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from shared.config import eldernet_section
from shared.db import make_engine
from shared.events import format_time, utcnow
from shared.node import Node, database_url
from shared.runner import node_services, service_name
from shared.schema import current_revision
from shared.store import EventStore

Say = Callable[[str], None]


def backup_node(config: Mapping, target: str, say: Say) -> dict:
    """Copy the node's SQLite stores and key files into ``target`` (a new or empty directory)."""
    if os.path.exists(target) and os.listdir(target):
        raise FileExistsError(f"{target} is not empty: back up into a new directory, e.g. one named by the date")
    os.makedirs(target, exist_ok=True)
    node = Node.from_config(config)
    manifest = {"node": node.id, "area_code": node.area_code, "started": format_time(utcnow()), "services": {}}
    for name in (service_name(entry) for entry in node_services(config)):
        url = database_url(config, name)
        manifest["services"][name] = _backup_service(name, url, target, say)
    data_dir = os.path.abspath(eldernet_section(config).get("data_dir") or "var/local")
    for key in sorted(f for f in os.listdir(data_dir) if f.endswith(".key")) if os.path.isdir(data_dir) else []:
        shutil.copy2(os.path.join(data_dir, key), os.path.join(target, key))
        os.chmod(os.path.join(target, key), 0o600)
        manifest.setdefault("key_files", []).append(key)
        say(f"key file {key}: copied (keep the backup as secret as the node)")
    with open(os.path.join(target, "manifest.json"), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2)
    return manifest


def _backup_service(name: str, url: str, target: str, say: Say) -> dict:
    if not url.startswith("sqlite:///"):
        command = pg_dump_command(url, os.path.join(target, f"{name}.dump"))
        say(f"{name}: PostgreSQL; back it up with:\n    {command}")
        return {"database": "postgresql", "pg_dump": command}
    source = url[len("sqlite:///"):]
    if not os.path.exists(source):
        say(f"{name}: no database yet (the service has not run)")
        return {"database": "none"}
    copy = os.path.join(target, f"{name}.db")
    live, out = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30), sqlite3.connect(copy)
    try:
        live.backup(out, pages=1024)  # restarts on its own when a writer changes a copied page
    finally:
        out.close()
        live.close()
    engine = make_engine(f"sqlite:///{copy}")
    try:
        with engine.connect() as conn:
            facts = {"database": "sqlite", "file": f"{name}.db", "events": EventStore(engine).head_position(conn),
                     "schema": current_revision(conn)}
    finally:
        engine.dispose()
    say(f"{name}: {facts['events']} events, schema {facts['schema']} -> {copy}")
    return facts


def pg_dump_command(url: str, output: str) -> str:
    """The pg_dump command for a service's PostgreSQL database (its own schema when the URL names one)."""
    parts = urlsplit(url)
    options = parse_qs(parts.query).get("options", [""])[0]
    schema = options.split("search_path=", 1)[1].split(",")[0] if "search_path=" in options else None
    user = unquote(parts.username or "postgres")
    command = (f"pg_dump --format=custom --file={output} --host={parts.hostname or '127.0.0.1'} "
               f"--port={parts.port or 5432} --username={user}" + (f" --schema={schema}" if schema else "")
               + f" {parts.path.lstrip('/')}")
    return ("PGPASSWORD=... " if parts.password else "") + command
