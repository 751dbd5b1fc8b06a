"""`eldernet node upgrade`: every service database of a node, with progress, safe to repeat; a
database made before migrations is adopted; one that cannot be opened fails the command, naming
the service, while the others are upgraded."""
import os
import subprocess
import sys

import sqlalchemy as sa
import yaml

from shared.db import kernel_metadata, make_engine
from shared.schema import head
from shared.store import store_head_table

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = ["node", "registry", "booking"]


def write_config(tmp_path, databases=None):
    path = tmp_path / "node.yaml"
    path.write_text(yaml.safe_dump({"ELDERNET": {
        "node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
        "data_dir": str(tmp_path / "data"), "services": SERVICES, "databases": databases or {}}}))
    return str(path)


def upgrade(config):
    return subprocess.run([sys.executable, "-m", "shared.cli", "node", "upgrade", "-c", config], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_upgrade_migrates_every_service_database_and_a_second_run_does_nothing(tmp_path):
    config = write_config(tmp_path)
    first = upgrade(config)
    assert first.returncode == 0, first.stdout + first.stderr
    for service in SERVICES:
        assert f"{service}: sqlite:///{tmp_path}/data/{service}.db" in first.stdout
    assert first.stdout.count("applied 0001: Kernel baseline") == len(SERVICES)
    assert first.stdout.rstrip().endswith("every database is up to date")
    second = upgrade(config)
    assert second.returncode == 0 and "applied" not in second.stdout
    assert second.stdout.count(f"at {head()}, newest {head()}: nothing to do") == len(SERVICES)
    assert second.stdout.count("read models: unchanged") == len(SERVICES)


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    os.makedirs(tmp_path / "data")
    engine = make_engine(f"sqlite:///{tmp_path}/data/registry.db")
    kernel_metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(store_head_table.insert().values(id=1, position=0))
    engine.dispose()
    result = upgrade(write_config(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"made before migrations existed: its tables match; stamped at {head()}" in result.stdout


def test_a_database_that_cannot_be_opened_fails_the_command_naming_the_service(tmp_path, postgres_url):
    missing = postgres_url.replace("/eldernet_test?", "/eldernet_no_such_db?")
    result = upgrade(write_config(tmp_path, {"booking": missing}))
    assert result.returncode == 1
    assert "cannot open the database" in result.stdout and "ELDERNET.databases.booking" in result.stdout
    assert "not upgraded: booking" in result.stderr
    engine = sa.create_engine(f"sqlite:///{tmp_path}/data/registry.db")  # the others were upgraded
    assert "alembic_version" in sa.inspect(engine).get_table_names()
    engine.dispose()
