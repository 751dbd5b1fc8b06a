"""load_config: defaults, then the YAML file (with ${VAR:default}), then ELDERNET__ overrides."""
import copy

import pytest

from shared.config import DEFAULTS, ConfigError, eldernet_section, env_overrides, load_config, merge


def write(tmp_path, text, name="node.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults_without_a_file_or_environment():
    config = load_config(None, environ={})
    assert config == DEFAULTS
    assert config is not DEFAULTS and config["ELDERNET"] is not DEFAULTS["ELDERNET"]
    config["ELDERNET"]["node"]["id"] = "changed"  # the caller's copy, not the module's defaults
    assert DEFAULTS["ELDERNET"]["node"]["id"] == "local"


def test_file_values_are_merged_deeply_over_the_defaults(tmp_path):
    path = write(tmp_path, """
AMQP_URI: amqp://guest:guest@127.0.0.1:5672/eldernet-xinfu
ELDERNET:
  node: {id: xinfu, tier: district, area_code: "210402", parent: fushun}
  outbox: {batch_size: 50}
  databases: {registry: "postgresql+psycopg2://eldernet@db/registry"}
  note: 新抚区
""")
    config = load_config(path, environ={})
    section = config["ELDERNET"]
    assert config["AMQP_URI"].endswith("/eldernet-xinfu")
    assert section["node"] == {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"}
    assert section["outbox"] == {"batch_size": 50, "poll_interval": 0.05}  # the default kept beside the file's
    assert section["databases"]["registry"].startswith("postgresql+psycopg2://")
    assert section["note"] == "新抚区"
    assert section["consumer"] == DEFAULTS["ELDERNET"]["consumer"]
    assert config["max_workers"] == 10


def test_an_empty_file_means_the_defaults(tmp_path):
    assert load_config(write(tmp_path, "# nothing here\n"), environ={}) == DEFAULTS


def test_substitution_takes_the_variable_or_else_the_default(tmp_path):
    path = write(tmp_path, """
AMQP_URI: amqp://guest:${BROKER_PASSWORD:guest}@${BROKER_HOST:127.0.0.1}:5672/eldernet-${NODE_ID}
max_workers: ${WORKERS:4}
ELDERNET:
  data_dir: ${DATA_DIR:}
""")
    config = load_config(path, environ={"BROKER_HOST": "broker.fushun", "NODE_ID": "xinfu"})
    assert config["AMQP_URI"] == "amqp://guest:guest@broker.fushun:5672/eldernet-xinfu"
    assert config["max_workers"] == 4  # substituted text is YAML, so the default is an int
    assert config["ELDERNET"]["data_dir"] is None  # an empty default is an empty YAML value

    config = load_config(path, environ={"NODE_ID": "x", "WORKERS": "16", "BROKER_PASSWORD": "s3cret"})
    assert config["max_workers"] == 16
    assert config["AMQP_URI"] == "amqp://guest:s3cret@127.0.0.1:5672/eldernet-x"


def test_a_missing_variable_without_default_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, "AMQP_URI: amqp://guest:guest@${BROKER_HOST}:5672/\n")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert "BROKER_HOST" in str(error.value)


def test_environment_overrides_win_over_the_file_nested_and_yaml_typed(tmp_path):
    path = write(tmp_path, """
AMQP_URI: amqp://guest:guest@127.0.0.1:5672/eldernet-xinfu
ELDERNET:
  node: {id: xinfu, tier: district, area_code: "210402", parent: fushun}
  outbox: {batch_size: 50}
""")
    environ = {
        "ELDERNET__AMQP_URI": "amqp://guest:guest@broker:5672/eldernet-other",
        "ELDERNET__MAX_WORKERS": "3",
        "ELDERNET__ELDERNET__NODE__ID": "other",
        "ELDERNET__ELDERNET__OUTBOX__POLL_INTERVAL": "0.5",
        "ELDERNET__ELDERNET__METRICS__PORT": "9464",
        "ELDERNET__ELDERNET__CONSUMER__MAX_ATTEMPTS": "7",
        "ELDERNET__ELDERNET__DEBUG": "true",
        "ELDERNET__ELDERNET__SERVICES": "[node, registry]",
        "ELDERNET__ELDERNET__NODE__PARENT": "",
        "NOT_ELDERNET__ELDERNET__NODE__ID": "ignored",
        "ELDERNET__": "ignored",
    }
    config = load_config(path, environ=environ)
    section = config["ELDERNET"]
    assert config["AMQP_URI"] == "amqp://guest:guest@broker:5672/eldernet-other"
    assert config["max_workers"] == 3 and "MAX_WORKERS" not in config
    assert section["node"] == {"id": "other", "tier": "district", "area_code": "210402", "parent": ""}
    assert section["outbox"] == {"batch_size": 50, "poll_interval": 0.5}
    assert section["metrics"]["port"] == 9464
    assert section["consumer"] == {"max_attempts": 7, "retry_delay": 0.2, "max_message_bytes": 1_048_576}
    assert section["debug"] is True
    assert section["services"] == ["node", "registry"]


def test_environment_overrides_apply_without_a_file():
    config = load_config(None, environ={"ELDERNET__ELDERNET__NODE__AREA_CODE": "210402",
                                        "ELDERNET__ELDERNET__NODE__TIER": "district"})
    assert config["ELDERNET"]["node"]["tier"] == "district"
    assert str(config["ELDERNET"]["node"]["area_code"]) == "210402"


def test_env_overrides_builds_the_nested_mapping():
    assert env_overrides({"ELDERNET__ELDERNET__DATABASES__REGISTRY": "sqlite:///r.db", "PATH": "/bin"}) == {
        "ELDERNET": {"databases": {"registry": "sqlite:///r.db"}}}


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"])
def test_a_top_level_that_is_not_a_mapping_is_refused(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert path in str(error.value) and "mapping" in str(error.value)


def test_a_missing_file_is_a_config_error_naming_it(tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert path in str(error.value)


def test_a_variable_in_a_comment_is_not_substituted(tmp_path):
    # nameko substitutes ${VAR} in YAML values only; a commented-out line must not need its variables.
    path = write(tmp_path, "# AMQP_URI: amqp://guest:${BROKER_PASSWORD}@broker:5672/\nmax_workers: 2\n")
    assert load_config(path, environ={})["max_workers"] == 2


def test_merge_replaces_scalars_and_lists_and_merges_mappings():
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    override = {"a": {"c": [3]}, "d": {"e": 1}}
    merged = merge(base, override)
    assert merged is base and base == {"a": {"b": 1, "c": [3]}, "d": {"e": 1}}
    override["a"]["c"].append(4)
    assert base["a"]["c"] == [3]  # merged values are copies


def test_eldernet_section_is_required():
    assert eldernet_section(copy.deepcopy(DEFAULTS))["node"]["id"] == "local"
    for config in ({}, {"ELDERNET": None}, {"ELDERNET": "x"}):
        with pytest.raises(ConfigError):
            eldernet_section(config)
