"""The ``eldernet`` command line, run as a real subprocess: init, status, setup, and a node that runs."""
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared.broker_admin import BrokerAdmin, BrokerAdminError
from shared.config import load_config
from shared.node import Node, Tier
from tests.support.broker import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONSOLE_SCRIPT = os.path.join(os.path.dirname(sys.executable), "eldernet")
NODE_LINE = re.compile(r"^\s*node\s+events\s+(\d+)\s+published\s+(\d+)\s+backlog\s+(\d+)", re.MULTILINE)


def clean_env():
    """The caller's environment without ELDERNET__ overrides, so only the config file counts."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ELDERNET__")}


def eldernet(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env=clean_env(), timeout=timeout)


def unique_id(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_help_lists_the_commands():
    result = subprocess.run([CONSOLE_SCRIPT, "--help"], capture_output=True, text=True, cwd=ROOT,
                            env=clean_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    commands = re.search(r"\{([a-z,]+)\}", result.stdout).group(1).split(",")
    assert commands == ["node", "replay", "token", "areas", "sync", "demo"]

    node_help = eldernet("node", "--help")
    assert node_help.returncode == 0, node_help.stderr
    assert re.search(r"\{([a-z,]+)\}", node_help.stdout).group(1).split(",") == ["init", "run", "setup", "status", "upgrade",
                                                                              "definitions", "backup", "absorb"]


def test_no_command_prints_help_and_exits_2():
    result = eldernet()
    assert result.returncode == 2
    assert "usage: eldernet" in result.stdout


def test_node_init_writes_a_config_that_loads(tmp_path):
    path = tmp_path / "conf" / "xinfu.yaml"
    result = eldernet("node", "init", "--id", "xinfu", "--tier", "district", "--area-code", "210402",
                      "--parent", "fushun", "--data-dir", str(tmp_path / "data"), "--metrics-port", "9464",
                      "-o", str(path))
    assert result.returncode == 0, result.stderr
    assert str(path) in result.stdout
    config = load_config(str(path), environ={})
    assert Node.from_config(config) == Node("xinfu", Tier.DISTRICT, "210402", "fushun")
    assert config["AMQP_URI"] == "amqp://guest:guest@127.0.0.1:5672/eldernet-xinfu"
    assert config["ELDERNET"]["data_dir"] == str(tmp_path / "data")
    assert config["ELDERNET"]["metrics"]["port"] == 9464
    assert config["WEB_SERVER_ADDRESS"] == "127.0.0.1:8000"  # no --http-port: the default, written out
    assert config["ELDERNET"]["outbox"]["batch_size"] == 500  # the defaults are still underneath


@pytest.mark.parametrize("args,field", [
    (["--tier", "district", "--area-code", "21040", "--parent", "fushun"], "node.area_code"),
    (["--tier", "city", "--area-code", "210402"], "node.area_code"),
])
def test_node_init_refuses_a_bad_answer_naming_the_field(tmp_path, args, field):
    path = tmp_path / "bad.yaml"
    result = eldernet("node", "init", "--id", "xinfu", *args, "-o", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert field in result.stderr
    assert "Traceback" not in result.stderr
    assert not path.exists()


def write_config(tmp_path, node_id, *extra):
    path = tmp_path / f"{node_id}.yaml"
    result = eldernet("node", "init", "--id", node_id, "--tier", "town", "--area-code", "210402003",
                      "--parent", "xinfu", "--data-dir", str(tmp_path / "data"), *extra, "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_node_status_of_a_node_that_never_ran(tmp_path):
    path = write_config(tmp_path, "xinfu-s03")
    result = eldernet("node", "status", "-c", str(path))
    assert result.returncode == 0, result.stderr
    assert "node xinfu-s03  tier town  area 210402003  parent xinfu" in result.stdout
    assert re.search(r"^\s*node\s+no database yet", result.stdout, re.MULTILINE), result.stdout
    assert not (tmp_path / "data").exists()  # looking does not create databases


def test_node_status_with_a_missing_config_file_is_a_clean_error(tmp_path):
    result = eldernet("node", "status", "-c", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_node_setup_creates_the_vhost(tmp_path):
    node_id = unique_id()
    vhost = f"eldernet-{node_id}"
    admin = BrokerAdmin()
    path = write_config(tmp_path, node_id)
    try:
        result = eldernet("node", "setup", "-c", str(path))
        assert result.returncode == 0, result.stderr
        assert vhost in result.stdout
        quoted = urllib.parse.quote(vhost, safe="")
        assert admin.request("GET", f"/api/vhosts/{quoted}")["name"] == vhost
        permissions = admin.request("GET", f"/api/permissions/{quoted}/guest")
        assert (permissions["configure"], permissions["write"], permissions["read"]) == (".*", ".*", ".*")
        assert eldernet("node", "setup", "-c", str(path)).returncode == 0  # idempotent
    finally:
        try:
            admin.delete_vhost(vhost)
        except BrokerAdminError:
            pass
    with pytest.raises(BrokerAdminError):
        admin.request("GET", f"/api/vhosts/{urllib.parse.quote(vhost, safe='')}")


def test_node_setup_bounds_the_link_queues_and_gives_each_child_its_link_rights(tmp_path):
    import yaml

    node_id, with_user, without_user = unique_id(), unique_id("c"), unique_id("c")
    vhost = f"eldernet-{node_id}"
    path = write_config(tmp_path, node_id)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["ELDERNET"]["sync"] = {"link_queue_limit": 5000, "children": [
        {"id": with_user, "area_code": "210402003001"}, {"id": without_user, "area_code": "210402003002"}]}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    admin = BrokerAdmin()
    admin.ensure_user(with_user, "pw")
    try:
        result = eldernet("node", "setup", "-c", str(path))
        assert result.returncode == 0, result.stderr
        assert f"no broker user {without_user!r} yet" in result.stdout
        quoted = urllib.parse.quote(vhost, safe="")
        rights = admin.request("GET", f"/api/permissions/{quoted}/{with_user}")
        assert rights["write"] == r"^eldernet\.sync$" and re.escape(with_user) in rights["read"]
        policy = admin.request("GET", f"/api/policies/{quoted}/eldernet-sync-links")
        assert policy["definition"]["max-length"] == 5000
        assert policy["definition"]["overflow"] == "reject-publish"
    finally:
        admin.delete_vhost(vhost)
        admin.delete_user(with_user)


# -- a running node -----------------------------------------------------------------------
def metric_samples(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def sample_value(samples, name, **labels):
    values = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    return values[0] if values else None


@pytest.fixture
def vhost():
    name = f"eldernet-test-{uuid.uuid4().hex[:10]}"
    admin = BrokerAdmin()
    admin.ensure_vhost(name)
    yield name
    admin.delete_vhost(name)


def test_node_run_records_publishes_serves_metrics_and_stops_on_sigterm(tmp_path, vhost):
    node_id = unique_id("run")
    port = free_port()
    http_port = free_port()
    path = write_config(tmp_path, node_id, "--amqp-uri", f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
                        "--metrics-port", str(port), "--http-port", str(http_port))
    config = yaml.safe_load(path.read_text())
    config["ELDERNET"]["services"] = ["node"]
    config["ELDERNET"]["outbox"] = {"poll_interval": 0.02}
    path.write_text(yaml.safe_dump(config))

    log = open(tmp_path / "node.log", "w+")
    node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", str(path)],
                            cwd=ROOT, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        def recorded_and_published():
            assert node.poll() is None, f"the node exited with {node.returncode}: {read(log)}"
            status = eldernet("node", "status", "-c", str(path))
            assert status.returncode == 0, status.stderr
            match = NODE_LINE.search(status.stdout)
            return match and int(match.group(1)) >= 1 and int(match.group(3)) == 0 and match

        events, published, _ = map(int, wait_for(recorded_and_published, timeout=60, interval=0.2,
                                                 message="the node service to record and publish").groups())
        assert events >= 1 and published == events

        def published_metric():
            samples = metric_samples(port)
            appended = sample_value(samples, "eldernet_events_appended_total", node=node_id, service="node",
                                    type="eldernet.node.NodeStarted")
            sent = sample_value(samples, "eldernet_events_published_total", node=node_id, service="node")
            return appended is not None and sent is not None and sent >= 1 and (appended, sent)

        appended, sent = wait_for(published_metric, timeout=30, message="the metrics to show the publish")
        assert appended >= 1 and sent >= 1
        health = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/healthz", timeout=5).read().decode()
        assert f'"node":"{node_id}"' in health  # the HTTP gateway runs in the node service

        node.send_signal(signal.SIGTERM)
        returncode = node.wait(timeout=30)
        assert returncode == 0, read(log)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait(10)
        log.close()


def read(fh):
    fh.flush()
    fh.seek(0)
    return fh.read()[-4000:]
