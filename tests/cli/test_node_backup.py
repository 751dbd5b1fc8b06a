"""`eldernet node backup`: consistent copies of the SQLite stores and the key files, and the
pg_dump command for a PostgreSQL database."""
import json
import os
import subprocess
import sys

import yaml

from shared.backup import pg_dump_command
from shared.db import make_engine
from shared.store import EventStore
from tests.store.test_store_contract import new_event

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def eldernet(*args):
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_backup_copies_each_store_consistently_with_the_key_files(tmp_path):
    data = tmp_path / "data"
    config = tmp_path / "node.yaml"
    config.write_text(yaml.safe_dump({"ELDERNET": {
        "node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
        "data_dir": str(data), "services": ["node", "registry"],
        "databases": {"booking": "postgresql+psycopg2://eldernet:pw@db:5432/booking"}}}))
    engine = make_engine(f"sqlite:///{data}/registry.db")
    store = EventStore(engine)
    store.create_schema()
    store.append("s-1", 0, [new_event("s-1", 1), new_event("s-1", 2, stream_version=2)])
    (data / "registry-identity.key").write_text("k" * 64)

    result = eldernet("node", "backup", "-c", str(config), "--to", str(tmp_path / "b1"))
    store.append("s-1", 2, [new_event("s-1", 3, stream_version=3)])  # after the backup: not in it
    engine.dispose()
    assert result.returncode == 0, result.stderr
    assert "registry: 2 events, schema 0002" in result.stdout and "node: no database yet" in result.stdout
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert manifest["services"]["registry"]["events"] == 2 and manifest["key_files"] == ["registry-identity.key"]
    assert (tmp_path / "b1" / "registry-identity.key").read_text() == "k" * 64
    assert oct((tmp_path / "b1" / "registry-identity.key").stat().st_mode & 0o777) == "0o600"
    copy = make_engine(f"sqlite:///{tmp_path}/b1/registry.db")
    assert [e.data["n"] for e in EventStore(copy).read_all()] == [1, 2]
    copy.dispose()

    again = eldernet("node", "backup", "-c", str(config), "--to", str(tmp_path / "b1"))
    assert again.returncode == 2 and "not empty" in again.stderr


def test_the_pg_dump_command_names_the_database_and_its_schema():
    assert pg_dump_command("postgresql+psycopg2://eldernet:secret@db:5432/booking", "/b/booking.dump") == (
        "PGPASSWORD=... pg_dump --format=custom --file=/b/booking.dump --host=db --port=5432 --username=eldernet booking")
    assert pg_dump_command("postgresql+psycopg2://postgres@127.0.0.1/eldernet?options=-csearch_path%3Dxinfu_registry",
                           "r.dump").endswith("--username=postgres --schema=xinfu_registry eldernet")
