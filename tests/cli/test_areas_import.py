"""`eldernet areas import FILE`: a district team loads its area tree from a spreadsheet export
into its running node; a file with problems imports nothing and says where they are."""
import json
import os
import signal
import subprocess
import sys
import uuid

import pytest
import yaml

from shared.broker_admin import BrokerAdmin
from tests.cli.test_node_run import ROOT, eldernet, free_port
from tests.support.broker import wait_for

CSV = """code,name,tier,parent
2104,抚顺市,city,
210402,新抚区,district,2104
210402003,永安台街道,town,210402
210402003001,永安社区,village,210402003
"""


@pytest.fixture
def running_node(tmp_path):
    vhost = f"eldernet-test-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin()
    admin.ensure_vhost(vhost)
    config = tmp_path / "node.yaml"
    config.write_text(yaml.safe_dump({
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "ELDERNET": {"node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                     "data_dir": str(tmp_path / "data"), "services": ["node", "registry"]},
    }))
    node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", str(config)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")  # an import of no rows: answers once the registry is up
    wait_for(lambda: eldernet("areas", "import", str(empty), "-c", str(config)).returncode == 0,
             timeout=60, interval=0.5, message="the node's registry to answer")
    yield str(config), tmp_path
    node.send_signal(signal.SIGTERM)
    node.wait(30)
    admin.delete_vhost(vhost)


def test_a_csv_file_is_imported_and_a_second_import_changes_nothing(running_node):
    config, tmp_path = running_node
    path = tmp_path / "areas.csv"
    path.write_text(CSV, encoding="utf-8-sig")  # as a spreadsheet saves it, with a BOM
    result = eldernet("areas", "import", str(path), "-c", config)
    assert result.returncode == 0, result.stderr
    assert "imported 4 rows: 4 new areas" in result.stdout
    again = eldernet("areas", "import", str(path), "-c", config)
    assert again.returncode == 0 and "imported 4 rows: 0 new areas (4 already registered)" in again.stdout


def test_a_file_with_problems_imports_nothing_and_names_each_row(running_node):
    config, tmp_path = running_node
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([
        {"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "21040", "name": "坏代码", "tier": "district", "parent": "2104"},
        {"code": "210403001", "name": "孤儿街道", "tier": "town", "parent": "210403"},
    ], ensure_ascii=False), encoding="utf-8")
    result = eldernet("areas", "import", str(path), "-c", config)
    assert result.returncode == 1 and "nothing imported" in result.stderr
    assert "row 2, code" in result.stderr and "row 3, parent: unknown parent area 210403" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(CSV, encoding="utf-8")
    assert "4 new areas" in eldernet("areas", "import", str(good), "-c", config).stdout  # nothing half-imported


def test_unreadable_files_are_refused_before_anything_is_sent(tmp_path):
    config = tmp_path / "node.yaml"
    config.write_text("ELDERNET: {node: {id: x, tier: city, area_code: '2104'}}\n")
    missing = eldernet("areas", "import", str(tmp_path / "nope.csv"), "-c", str(config))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("code,name\n2104,抚顺市,city,extra\n", encoding="utf-8")
    result = eldernet("areas", "import", str(ragged), "-c", str(config))
    assert result.returncode == 2 and "line 2: more values than header columns" in result.stderr
