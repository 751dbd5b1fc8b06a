"""docker-compose.yml and deploy/ are checked statically (no Docker engine runs here): the
command, config file, environment keys and paths they use must be the ones the code uses."""
import os
import re

import yaml

from shared.cli import build_parser
from shared.config import DEFAULTS, load_config
from shared.node import Node, database_url

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def compose():
    with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_the_node_command_is_one_the_cli_accepts():
    node = compose()["services"]["node"]
    args = build_parser().parse_args(node["command"])
    assert args.handler.__name__ == "_node_run"
    mounted = {v.split(":")[1]: v.split(":")[0] for v in node["volumes"] if v.startswith("./")}
    assert args.config in mounted and os.path.exists(os.path.join(ROOT, mounted[args.config]))


def test_the_node_environment_makes_a_valid_node_on_the_compose_services():
    node = compose()["services"]["node"]
    config_file = next(v.split(":")[0] for v in node["volumes"] if v.startswith("./"))
    config = load_config(os.path.join(ROOT, config_file), environ={k: str(v) for k, v in node["environment"].items()})
    Node.from_config(config)
    assert "@rabbitmq:5672/" in config["AMQP_URI"]
    assert database_url(config, "node").startswith("postgresql+psycopg2://") and "@postgres:5432/" in database_url(config, "node")
    assert str(config["ELDERNET"]["metrics"]["port"]) in " ".join(node["ports"])
    for key in node["environment"]:
        top = key.split("__")[1]
        assert top in DEFAULTS, f"{key} does not override a known config key"


def test_the_broker_user_in_the_uri_is_the_one_the_broker_container_creates():
    services = compose()["services"]
    broker = services["rabbitmq"]["environment"]
    uri = services["node"]["environment"]["ELDERNET__AMQP_URI"]
    user, password = re.match(r"amqp://([^:]+):([^@]+)@", uri).groups()
    assert (user, password) == (broker["RABBITMQ_DEFAULT_USER"], broker["RABBITMQ_DEFAULT_PASS"])
    assert uri.endswith("/" + broker["RABBITMQ_DEFAULT_VHOST"])


def test_the_dockerfile_copies_paths_that_exist_and_runs_the_cli():
    with open(os.path.join(ROOT, "deploy", "Dockerfile"), encoding="utf-8") as fh:
        dockerfile = fh.read()
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        for path in line.split()[:-1]:
            assert os.path.exists(os.path.join(ROOT, path)), path
    assert 'ENTRYPOINT ["eldernet"]' in dockerfile


def test_the_http_api_listens_in_the_container_on_the_port_compose_publishes():
    with open(os.path.join(ROOT, "deploy", "Dockerfile"), encoding="utf-8") as fh:
        dockerfile = fh.read()
    address = re.search(r"ELDERNET__WEB_SERVER_ADDRESS=(\S+)", dockerfile).group(1)
    host, port = address.rsplit(":", 1)
    assert host == "0.0.0.0"  # the container's loopback is unreachable from outside it
    assert f"{port}:{port}" in compose()["services"]["node"]["ports"] and f"EXPOSE {port}" in dockerfile
