"""Integration fixtures: a throw-away vhost per test on the real RabbitMQ (nameko's
``rabbit_config`` fixture creates it through the management API and deletes it after)."""
import pytest

from shared.config import DEFAULTS, merge


@pytest.fixture
def amqp_uri(rabbit_config):
    return rabbit_config["AMQP_URI"].replace("pyamqp://", "amqp://", 1)  # pika knows only amqp://


@pytest.fixture
def node_config(rabbit_config, tmp_path):
    """A node's nameko config: the test vhost, SQLite files in tmp_path, fast retries."""
    import copy

    config = copy.deepcopy(DEFAULTS)
    merge(config, rabbit_config)
    merge(config, {"ELDERNET": {
        "node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
        "data_dir": str(tmp_path / "xinfu"),
        "consumer": {"max_attempts": 3, "retry_delay": 0.01},
        "outbox": {"poll_interval": 0.02},
    }})
    return config
