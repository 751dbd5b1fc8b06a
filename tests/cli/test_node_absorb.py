"""`eldernet node absorb` (a merge of two areas that each ran a node, shared/absorb.py): the
continuing node takes the retired node's records in — ids and versions kept, each once however often
it runs, read models updated — and once it lists the retired code as a former one, it writes them."""
import subprocess
import sys

import pytest
import yaml

from shared.aggregate import Rejected
from services.registry import queries
from services.registry.service import RegistryService
from tests.cli.test_node_backup import ROOT
from tests.support.nodes import call, store_of

KEPT, MERGED = "210402003001", "210402003002"  # 永安社区 takes in 新华社区
TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": KEPT, "name": "永安社区", "tier": "village", "parent": "210402003"},
        {"code": MERGED, "name": "新华社区", "tier": "village", "parent": "210402003"}]


def eldernet(*args):
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def facility(area, n):
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": area, "ownership": "public",
            "capacity": {"day_places": 20}}


@pytest.fixture
def village(node_config, tmp_path):
    """A standalone village node's config (its own data directory), written to a file too."""
    def make(node_id, area, former=()):
        config = {**node_config, "ELDERNET": {**node_config["ELDERNET"], "data_dir": str(tmp_path / node_id),
                                               "databases": {}, "services": ["registry"]}}
        config["ELDERNET"]["node"] = {"id": node_id, "tier": "village", "area_code": area, "parent": "xinfu-s03",
                                      "former_area_codes": list(former)}
        config["ELDERNET"]["sync"] = {}
        path = tmp_path / f"{node_id}.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True))
        return config, str(path)
    return make


def facility_areas(container):
    with store_of(container).engine.connect() as conn:
        rows, _ = queries.list_facilities(conn, "2104", None, None, 100, 0)
    return sorted(row["area_code"] for row in rows)


def test_the_continuing_node_takes_the_retired_nodes_records_and_writes_them(village, container_factory):
    kept_config, kept_file = village("xinfu-s03-c001", KEPT)
    merged_config, merged_file = village("xinfu-s03-c002", MERGED)
    kept, merged = container_factory(RegistryService, kept_config), container_factory(RegistryService, merged_config)
    kept.start()
    merged.start()
    call(kept, "import_areas", TREE)
    for event in store_of(kept).read_all(0, 10_000):  # the same tree, as sync brings it from the city
        call(merged, "receive_synced", event.replace(position=None))
    call(kept, "register_facility", facility(KEPT, 1))
    theirs = call(merged, "register_facility", facility(MERGED, 2))
    call(merged, "change_facility", theirs["facility_id"], "suspend", {"reason": "merger"})
    their_events = store_of(merged).read_all(0, 10_000)
    kept.stop()
    merged.stop()

    first = eldernet("node", "absorb", "-c", kept_file, "--from", merged_file)
    assert first.returncode == 0, first.stderr
    assert f"registry: {len(their_events)} events read" in first.stdout
    again = eldernet("node", "absorb", "-c", kept_file, "--from", merged_file)  # safe to run again
    assert f"registry: {len(their_events)} events read, 0 stored here" in again.stdout

    continuing_config, _ = village("xinfu-s03-c001", KEPT, former=[MERGED])
    continuing = container_factory(RegistryService, continuing_config)
    continuing.start()
    store = store_of(continuing)
    stream = f"facility-{theirs['facility_id']}"
    assert [e.id for e in store.read_stream(stream)] == [e.id for e in their_events if e.stream_id == stream]
    events = store.read_all(0, 10_000)
    assert len({e.id for e in events}) == len(events)  # the area tree both held is stored once
    # The read models list it, under the merged area's code once the node recorded the re-coding.
    assert facility_areas(continuing) == [KEPT, KEPT]
    assert store.read_stream(f"recode-{MERGED}")[0].data["to_area"] == KEPT
    call(continuing, "change_facility", theirs["facility_id"], "reopen", {})  # the continuing node writes it
    assert store.read_stream(stream)[-1].type.endswith("FacilityReopened")


def test_the_same_node_twice_is_refused(village):
    _, kept_file = village("xinfu-s03-c001", KEPT)
    result = eldernet("node", "absorb", "-c", kept_file, "--from", kept_file)
    assert result.returncode != 0 and "--from names the retired node's config" in result.stderr


def test_two_histories_of_one_record_stop_the_import_naming_it(village, container_factory):
    a_config, a_file = village("xinfu-s03-c001", KEPT)
    b_config, b_file = village("xinfu-s03-c002", MERGED)
    for config in (a_config, b_config):  # the same area record written twice, differently (never by sync)
        node = container_factory(RegistryService, config)
        node.start()
        call(node, "import_areas", TREE[:1] if config is a_config else TREE[:2])
        call(node, "import_areas", TREE)
        node.stop()
    result = eldernet("node", "absorb", "-c", a_file, "--from", b_file)
    assert result.returncode == 1 and "different histories" in result.stderr, result.stderr

