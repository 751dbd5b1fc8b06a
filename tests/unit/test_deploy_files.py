"""docker-compose*.yml and deploy/ are checked statically (no Docker engine runs here): the
commands, config files, environment keys, hosts, ports and paths they use must be the ones the code
uses; the broker definitions must be what `eldernet node definitions` makes now; the Prometheus
rules and Grafana dashboards may use only metrics the docs document."""
import base64
import configparser
import fnmatch
import hashlib
import json
import os
import re
import urllib.parse

import pytest
import yaml
from kombu.utils.url import parse_url

from shared.broker_admin import user_of, vhost_of
from shared.broker_definitions import merged, node_definitions
from shared.cli import build_parser
from shared.config import DEFAULTS, load_config
from shared.links import Topology
from shared.node import Node, database_url
from shared.runner import installed_services
from tests.support.metrics_doc import PROMETHEUS_OWN, SERIES_SUFFIXES, documented_in_docs, promql_metric_names

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NETWORK = ["fushun", "xinfu", "xinfu-s03", "xinfu-s03-c001"]
REGENERATE = {
    "definitions.json": "ELDERNET__AMQP_URI=amqp://eldernet:eldernet@rabbitmq:5672/eldernet-xinfu eldernet node "
                        "definitions -c deploy/node.example.yaml -o deploy/rabbitmq/definitions.json",
    "definitions-network.json": "eldernet node definitions " + " ".join(f"-c deploy/network/{n}.yaml" for n in NETWORK)
                                + " -o deploy/rabbitmq/definitions-network.json",
}


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as fh:
        return fh.read()


def compose(name="docker-compose.yml"):
    return yaml.safe_load(read(name))


def mounts(service):
    """container path -> repository path of a service's bind mounts."""
    return {v.split(":")[1]: v.split(":")[0][2:] for v in service.get("volumes", []) if v.startswith("./")}


def node_config(service):
    """The config a compose node service runs with: its mounted file and its environment."""
    config_file = mounts(service)[build_parser().parse_args(service["command"]).config]
    return load_config(os.path.join(ROOT, config_file),
                       environ={k: str(v) for k, v in (service.get("environment") or {}).items()})


def real_series():
    documented = documented_in_docs()
    names = set(documented) | PROMETHEUS_OWN
    for name, kind in documented.items():
        names.update(name + suffix for suffix in SERIES_SUFFIXES.get(kind, ()))
    return names


# -- the node ---------------------------------------------------------------------------------------
def test_the_node_command_is_one_the_cli_accepts():
    node = compose()["services"]["node"]
    args = build_parser().parse_args(node["command"])
    assert args.handler.__name__ == "_node_run"
    assert args.config in mounts(node) and os.path.exists(os.path.join(ROOT, mounts(node)[args.config]))


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.network.yml"])
def test_every_file_a_compose_file_mounts_exists(name):
    for service_name, service in compose(name)["services"].items():
        for target, source in mounts(service).items():
            assert os.path.exists(os.path.join(ROOT, source)), f"{name}: {service_name} mounts missing {source}"


def test_the_node_environment_makes_a_valid_node_on_the_compose_services():
    node = compose()["services"]["node"]
    config = node_config(node)
    Node.from_config(config)
    assert "@rabbitmq:5672/" in config["AMQP_URI"]
    assert str(config["ELDERNET"]["metrics"]["port"]) in " ".join(node["ports"])
    for key in node["environment"]:
        top = key.split("__")[1]
        assert top in DEFAULTS, f"{key} does not override a known config key"


def test_every_installed_service_has_its_own_postgres_database_that_the_init_script_creates():
    services = compose()["services"]
    config, postgres = node_config(services["node"]), services["postgres"]["environment"]
    created = set(re.findall(r"CREATE DATABASE (\w+);", read("deploy", "postgres", "init-databases.sql")))
    assert mounts(services["postgres"])["/docker-entrypoint-initdb.d/init-databases.sql"] == \
        "deploy/postgres/init-databases.sql"
    urls = {}
    for service in installed_services():
        url = urllib.parse.urlsplit(database_url(config, service))
        assert url.scheme == "postgresql+psycopg2", f"{service} would use {url.scheme}, not the compose PostgreSQL"
        assert (url.hostname, url.port, url.username, url.password) == (
            "postgres", 5432, postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
        assert url.path[1:] in created, f"{service}: database {url.path[1:]} is not created by init-databases.sql"
        urls[service] = url.path
    assert len(set(urls.values())) == len(urls), "two services share a database (their kernel tables would collide)"


def test_the_http_api_listens_in_the_container_on_the_port_compose_publishes():
    dockerfile = read("deploy", "Dockerfile")
    address = re.search(r"ELDERNET__WEB_SERVER_ADDRESS=(\S+)", dockerfile).group(1)
    host, port = address.rsplit(":", 1)
    assert host == "0.0.0.0"  # the container's loopback is unreachable from outside it
    assert f"{port}:{port}" in compose()["services"]["node"]["ports"] and f"EXPOSE {port}" in dockerfile


def test_the_dockerfile_copies_paths_that_exist_and_runs_the_cli():
    dockerfile = read("deploy", "Dockerfile")
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        for path in line.split()[:-1]:
            assert os.path.exists(os.path.join(ROOT, path)), path
    assert 'ENTRYPOINT ["eldernet"]' in dockerfile


# -- RabbitMQ -------------------------------------------------------------------------------------
def verifies(password_hash, password):
    raw = base64.b64decode(password_hash)
    return raw[4:] == hashlib.sha256(raw[:4] + password.encode()).digest()


def without_hashes(definitions):
    return {**definitions, "users": [{**u, "password_hash": bool(u["password_hash"])} for u in definitions["users"]]}


def test_the_definitions_are_what_the_code_declares_now():
    services = compose()["services"]
    single = node_definitions(node_config(services["node"]))
    network = merged([node_definitions(load_config(os.path.join(ROOT, "deploy", "network", f"{n}.yaml")))
                      for n in NETWORK])
    for name, expected in (("definitions.json", single), ("definitions-network.json", network)):
        checked_in = json.loads(read("deploy", "rabbitmq", name))
        assert without_hashes(checked_in) == without_hashes(expected), \
            f"deploy/rabbitmq/{name} is stale; regenerate it: {REGENERATE[name]}"


def test_the_brokers_load_the_definitions_where_rabbitmq_conf_says():
    conf = "[rabbit]\n" + read("deploy", "rabbitmq", "rabbitmq.conf")
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.read_string(conf)
    loaded_from = parser["rabbit"]["load_definitions"]
    plugins = set(re.findall(r"[a-z_]+", read("deploy", "rabbitmq", "enabled_plugins")))
    assert {"rabbitmq_management", "rabbitmq_prometheus"} <= plugins  # node setup's HTTP API; :15692/metrics
    for name, definitions in (("docker-compose.yml", "definitions.json"),
                              ("docker-compose.network.yml", "definitions-network.json")):
        broker = mounts(compose(name)["services"]["rabbitmq"])
        assert broker[loaded_from] == f"deploy/rabbitmq/{definitions}"
        assert broker["/etc/rabbitmq/rabbitmq.conf"] == "deploy/rabbitmq/rabbitmq.conf"
        assert broker["/etc/rabbitmq/enabled_plugins"] == "deploy/rabbitmq/enabled_plugins"


def test_each_nodes_broker_user_logs_in_with_its_uris_password_to_its_own_vhost_only():
    configs = [node_config(compose()["services"]["node"])]
    configs += [load_config(os.path.join(ROOT, "deploy", "network", f"{n}.yaml")) for n in NETWORK]
    users = {u["name"]: u for name in ("definitions.json", "definitions-network.json")
             for u in json.loads(read("deploy", "rabbitmq", name))["users"]}
    for config in configs:
        uri = parse_url(config["AMQP_URI"])
        user = users[uri["userid"]]
        assert verifies(user["password_hash"], uri["password"]), f"{uri['userid']}: the hash is not of the URI's password"
        assert user["tags"] == []  # no management rights


# -- the four-tier network on one host -------------------------------------------------------------
def test_the_network_compose_runs_each_node_with_its_own_config_linked_to_its_parent():
    services = compose("docker-compose.network.yml")["services"]
    configs = {name: node_config(services[name]) for name in NETWORK}
    for name, config in configs.items():
        topology = Topology.from_config(config)
        assert topology.node.id == name and config["ELDERNET"]["data_dir"] == "/var/lib/eldernet"
        assert f"{name}:/var/lib/eldernet" in services[name]["volumes"]
        assert parse_url(config["AMQP_URI"])["hostname"] == "rabbitmq"
        if topology.parent is None:
            continue
        parent = configs[topology.parent.id]
        link = parse_url(topology.parent.amqp_uri)
        own = parse_url(config["AMQP_URI"])
        assert (link["hostname"], link["virtual_host"]) == ("rabbitmq", vhost_of(parent["AMQP_URI"]))
        assert (link["userid"], link["password"]) == (own["userid"], own["password"])  # its own user, up the link
        assert topology.parent.broker_user == user_of(parent["AMQP_URI"])
        listed = {c.id: c for c in Topology.from_config(parent).children}
        assert listed[name].broker_user == own["userid"] and listed[name].area_code == topology.node.area_code


# -- Prometheus ------------------------------------------------------------------------------------
def prometheus_files(compose_name):
    service = compose(compose_name)["services"]["prometheus"]
    config_path = next(a.split("=", 1)[1] for a in service["command"] if a.startswith("--config.file="))
    return service, yaml.safe_load(read(mounts(service)[config_path]))


@pytest.mark.parametrize("compose_name", ["docker-compose.yml", "docker-compose.network.yml"])
def test_prometheus_scrapes_every_node_where_it_serves_metrics_and_loads_the_rules(compose_name):
    services = compose(compose_name)["services"]
    service, config = prometheus_files(compose_name)
    rules_mount = mounts(service)
    for pattern in config["rule_files"]:
        directory = os.path.dirname(pattern)
        assert rules_mount[directory] == "deploy/prometheus/rules"
        assert fnmatch.filter(os.listdir(os.path.join(ROOT, "deploy", "prometheus", "rules")), os.path.basename(pattern))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    scraped = {t: group.get("labels", {}) for group in jobs["eldernet"]["static_configs"] for t in group["targets"]}
    nodes = {name: node_config(s) for name, s in services.items() if s.get("command", [None])[0] == "node"}
    expected = {f"{name}:{c['ELDERNET']['metrics']['port']}": Node.from_config(c).tier.value for name, c in nodes.items()}
    assert {t: labels["tier"] for t, labels in scraped.items()} == expected
    for name, node in nodes.items():  # reachable from another container
        assert (node["ELDERNET"]["metrics"].get("addr") or "0.0.0.0") == "0.0.0.0" or "METRICS__ADDR=0.0.0.0" in \
            read("deploy", "Dockerfile")
    assert jobs["rabbitmq"]["static_configs"][0]["targets"] == ["rabbitmq:15692"]


def rules():
    return [rule for group in yaml.safe_load(read("deploy", "prometheus", "rules", "eldernet.yml"))["groups"]
            for rule in group["rules"]]


def test_the_alerting_rules_cover_what_ops_must_hear_of():
    exprs = {rule["alert"]: rule["expr"] for rule in rules()}
    wanted = {"EldernetNodeDown": "up", "EldernetSyncLagging": "eldernet_sync_lag_seconds",
              "EldernetOutboxBacklog": "eldernet_outbox_backlog", "EldernetDeadLetters": "eldernet_events_dead_lettered_total",
              "EldernetCriticalAlertUnacknowledged": "eldernet_alerts_open"}
    for alert, metric in wanted.items():
        assert metric in promql_metric_names(exprs[alert]), alert


def test_every_rule_uses_documented_metrics_and_says_what_is_wrong():
    real = real_series()
    for rule in rules():
        unknown = promql_metric_names(rule["expr"]) - real
        assert not unknown, f"{rule['alert']}: {unknown} documented nowhere in docs/*.md"
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0s")), rule["alert"]
    assert len({rule["alert"] for rule in rules()}) == len(rules())


def test_the_rules_unit_tests_test_rules_that_exist():
    """deploy/prometheus/rules.test.yml is run by `promtool test rules` where promtool is installed."""
    tests = yaml.safe_load(read("deploy", "prometheus", "rules.test.yml"))
    assert tests["rule_files"] == ["rules/eldernet.yml"]
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    assert tested <= {rule["alert"] for rule in rules()}
    assert {"EldernetNodeDown", "EldernetDeadLetters", "EldernetCriticalAlertUnacknowledged",
            "EldernetSyncLagging"} <= tested


# -- Grafana -------------------------------------------------------------------------------------------
def dashboards():
    folder = os.path.join(ROOT, "deploy", "grafana", "dashboards")
    return {name: json.loads(read("deploy", "grafana", "dashboards", name)) for name in sorted(os.listdir(folder))}


@pytest.mark.parametrize("compose_name", ["docker-compose.yml", "docker-compose.network.yml"])
def test_grafana_is_provisioned_with_prometheus_and_the_dashboards(compose_name):
    services = compose(compose_name)["services"]
    grafana = mounts(services["grafana"])
    assert grafana["/etc/grafana/provisioning"] == "deploy/grafana/provisioning"
    source = yaml.safe_load(read("deploy", "grafana", "provisioning", "datasources", "prometheus.yml"))["datasources"][0]
    url = urllib.parse.urlsplit(source["url"])
    assert url.hostname == "prometheus" and "prometheus" in services and url.port == 9090
    provider = yaml.safe_load(read("deploy", "grafana", "provisioning", "dashboards", "eldernet.yml"))["providers"][0]
    assert grafana[provider["options"]["path"]] == "deploy/grafana/dashboards"


def test_the_dashboards_are_valid_and_query_only_documented_metrics():
    uid = yaml.safe_load(read("deploy", "grafana", "provisioning", "datasources", "prometheus.yml"))["datasources"][0]["uid"]
    boards, real = dashboards(), real_series()
    assert {"eldernet-node.json", "eldernet-network.json"} <= set(boards)
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    for name, board in boards.items():
        panels = board["panels"]
        assert len({p["id"] for p in panels}) == len(panels), name
        queries = [v["query"]["query"] for v in board["templating"]["list"]]
        for panel in panels:
            assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, f"{name}: {panel['title']}"
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == uid, f"{name}: {panel['title']}"
                queries.append(target["expr"])
        for query in queries:
            unknown = promql_metric_names(re.sub(r"^label_values\((.*), \w+\)$", r"\1", query)) - real
            assert not unknown, f"{name}: {unknown} documented nowhere in docs/*.md ({query})"
    covered = " ".join(t["expr"] for b in boards.values() for p in b["panels"] for t in p.get("targets", []))
    for metric in ("eldernet_sync_lag_seconds", "eldernet_events_appended_total", "eldernet_alerts_open",
                   "eldernet_billing_subsidy_priced_fen_total", 'service="booking"'):
        assert metric in covered  # sync lag per link, events/s, booking and alert figures, budget spend


# -- the runbook ---------------------------------------------------------------------------------------
def runbook_commands():
    """(command, complete): the commands in its code blocks are complete; those in its text may
    name just a command (`eldernet sync status`) or leave a placeholder (<id>, …) to fill in."""
    text = read("docs", "deploy.md")
    blocks = [(line.strip(), True) for block in re.findall(r"```\n(.*?)```", text, re.S)
              for line in block.replace("\\\n", " ").splitlines()]
    spans = [(span, "<" not in span and "…" not in span and " -c " in span)
             for span in re.findall(r"`(eldernet [^`]+)`", text)]
    return [(line.split("#")[0].strip(), complete) for line, complete in blocks + spans if line.startswith("eldernet ")]


def command_path(words):
    """The words before the first flag or placeholder: the command itself."""
    path = []
    for word in words:
        if word.startswith(("-", "<")):
            break
        path.append(word)
    return path


def test_every_eldernet_command_in_the_runbook_is_one_the_cli_accepts(capsys):
    import shlex
    commands = runbook_commands()
    assert len(commands) >= 20
    for command, complete in commands:
        words = shlex.split(re.sub(r"\$\([^)]*\)", "X", command).replace("…", ""))[1:]
        args = words if complete else command_path(words) + ["--help"]
        try:
            build_parser().parse_args(args)
        except SystemExit as stop:
            assert stop.code == 0, f"docs/deploy.md: `{command}` is not a command eldernet accepts"
