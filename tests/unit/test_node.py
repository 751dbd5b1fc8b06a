"""Node: validation that names the field, tiers, areas, and where a service's database lives."""
import copy
import os

import pytest

from shared.config import DEFAULTS, ConfigError, merge
from shared.node import Node, Tier, database_url


def config_with(node=None, **section):
    config = copy.deepcopy(DEFAULTS)
    merge(config, {"ELDERNET": dict(section, **({"node": node} if node is not None else {}))})
    return config


def test_tiers_area_code_lengths_and_parents():
    assert [t.value for t in Tier] == ["city", "district", "town", "village"]
    assert [t.area_code_length for t in Tier] == [4, 6, 9, 12]
    assert Tier.CITY.parent_tier is None
    assert Tier.DISTRICT.parent_tier is Tier.CITY
    assert Tier.TOWN.parent_tier is Tier.DISTRICT
    assert Tier.VILLAGE.parent_tier is Tier.TOWN


@pytest.mark.parametrize("tier,code,parent", [
    (Tier.CITY, "2104", None), (Tier.DISTRICT, "210402", "fushun"),
    (Tier.TOWN, "210402001", "xinfu"), (Tier.VILLAGE, "210402001002", "town-1")])
def test_a_valid_node_of_each_tier(tier, code, parent):
    node = Node("n-1", tier, code, parent)
    assert (node.area_code, node.parent) == (code, parent)
    assert node.source("registry") == "/eldernet/n-1/registry"


@pytest.mark.parametrize("node_id", ["", "Xinfu", "-xinfu", "xin_fu", "新抚", "a" * 64, "xin fu", "xinfu\n"])
def test_a_bad_node_id_is_named(node_id):
    with pytest.raises(ConfigError) as error:
        Node(node_id, Tier.CITY, "2104")
    assert str(error.value).startswith("node.id")


def test_node_ids_may_be_long_and_hyphenated():
    assert Node("a" * 63, Tier.CITY, "2104").id == "a" * 63
    assert Node("0-village-2", Tier.CITY, "2104").id == "0-village-2"


@pytest.mark.parametrize("tier,code", [
    (Tier.CITY, "21"), (Tier.CITY, "210402"), (Tier.DISTRICT, "2104"), (Tier.DISTRICT, "21040"),
    (Tier.TOWN, "210402"), (Tier.VILLAGE, "210402001"), (Tier.VILLAGE, "21040200100a"), (Tier.CITY, ""),
    (Tier.CITY, "２１０４"), (Tier.DISTRICT, "٢١٠٤٠٢"), (Tier.CITY, "210\n")])
def test_an_area_code_of_the_wrong_length_or_not_digits_is_named(tier, code):
    parent = None if tier is Tier.CITY else "p"
    with pytest.raises(ConfigError) as error:
        Node("n", tier, code, parent)
    assert str(error.value).startswith("node.area_code")


def test_a_city_has_no_parent_and_every_other_tier_has_one():
    with pytest.raises(ConfigError) as error:
        Node("fushun", Tier.CITY, "2104", parent="liaoning")
    assert str(error.value).startswith("node.parent")
    for tier, code in ((Tier.DISTRICT, "210402"), (Tier.TOWN, "210402001"), (Tier.VILLAGE, "210402001002")):
        with pytest.raises(ConfigError) as error:
            Node("n", tier, code)
        assert str(error.value).startswith("node.parent")


def test_contains_is_a_prefix_test_on_area_codes():
    xinfu = Node("xinfu", Tier.DISTRICT, "210402", "fushun")
    assert xinfu.contains("210402") and xinfu.contains("210402001") and xinfu.contains("210402001002")
    assert not xinfu.contains("210403001") and not xinfu.contains("2104") and not xinfu.contains("21")
    assert Node("fushun", Tier.CITY, "2104").contains("210402001002")


def test_from_config_reads_the_node_section():
    node = Node.from_config(config_with({"id": "xinfu", "tier": "District", "area_code": 210402, "parent": "fushun"}))
    assert node == Node("xinfu", Tier.DISTRICT, "210402", "fushun")  # YAML ints and any case accepted
    assert Node.from_config(copy.deepcopy(DEFAULTS)) == Node("local", Tier.CITY, "2104")


@pytest.mark.parametrize("node,field", [
    ({"id": "xinfu", "tier": "county", "area_code": "210402", "parent": "fushun"}, "node.tier"),
    ({"id": "xinfu", "area_code": "210402", "parent": "fushun"}, "node.tier"),
    ({"id": "Xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"}, "node.id"),
    ({"tier": "district", "area_code": "210402", "parent": "fushun"}, "node.id"),
    ({"id": "xinfu", "tier": "district", "area_code": "2104", "parent": "fushun"}, "node.area_code"),
    ({"id": "xinfu", "tier": "district", "area_code": "210402", "parent": None}, "node.parent"),
    ({"id": "xinfu", "tier": "district", "area_code": "210402", "parent": ""}, "node.parent"),
])
def test_from_config_names_the_bad_field(node, field):
    config = copy.deepcopy(DEFAULTS)
    config["ELDERNET"]["node"] = node
    with pytest.raises(ConfigError) as error:
        Node.from_config(config)
    assert str(error.value).startswith(field), str(error.value)


def test_database_url_defaults_to_a_sqlite_file_per_service_in_the_data_dir(tmp_path):
    config = config_with(data_dir=str(tmp_path / "xinfu"))
    assert database_url(config, "registry") == f"sqlite:///{tmp_path}/xinfu/registry.db"
    assert database_url(config, "booking") == f"sqlite:///{tmp_path}/xinfu/booking.db"


def test_a_relative_data_dir_is_made_absolute():
    url = database_url(config_with(data_dir="var/xinfu"), "node")
    assert url == "sqlite:///" + os.path.join(os.getcwd(), "var", "xinfu", "node.db")


def test_a_configured_database_wins_for_that_service_only(tmp_path):
    pg = "postgresql+psycopg2://eldernet@db/registry"
    config = config_with(data_dir=str(tmp_path), databases={"registry": pg})
    assert database_url(config, "registry") == pg
    assert database_url(config, "booking") == f"sqlite:///{tmp_path}/booking.db"


def test_database_url_with_no_data_dir_or_databases_set():
    config = config_with(data_dir=None, databases=None)
    assert database_url(config, "node") == "sqlite:///" + os.path.join(os.getcwd(), "var", "local", "node.db")
