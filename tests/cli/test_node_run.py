"""A real node, one OS process per service, on the real broker: the node service's event reaches
the wards service in another process, which writes events of its own; status and replay read the
stores; SIGTERM stops every process cleanly."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid

import pytest
import yaml

from shared.broker_admin import BrokerAdmin
from tests.support.broker import wait_for
from tests.support.wards_service import SERVICE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eldernet(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "shared.cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, **kwargs)


@pytest.fixture
def node_config(tmp_path):
    vhost = f"eldernet-test-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin()
    admin.ensure_vhost(vhost)
    path = tmp_path / "node.yaml"
    port = free_port()
    path.write_text(yaml.safe_dump({
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "ELDERNET": {
            "node": {"id": "xinfu-s03", "tier": "town", "area_code": "210402003", "parent": "xinfu"},
            "data_dir": str(tmp_path / "data"),
            "services": ["node", SERVICE],
            "metrics": {"port": port},
            "outbox": {"poll_interval": 0.02},
        },
    }))
    yield str(path), port
    admin.delete_vhost(vhost)


def status_of(config):
    result = eldernet("node", "status", "-c", config)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_node_with_a_process_per_service_works_end_to_end(node_config):
    config, port = node_config
    env = dict(os.environ, PYTHONPATH=ROOT)
    node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", config, "--process-per-service"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # The wards service (its own process) consumed NodeStarted and recorded 2 events of its own.
        wait_for(lambda: "wards" in (s := status_of(config)) and "events        2" in s and "inbox        1" in s,
                 timeout=60, message="wards to handle NodeStarted")
        status = status_of(config)
        assert "node       events        1  published        1  backlog      0" in status
        # Each service process serves its own /metrics: node on port, wards on port + 1.
        wards_metrics = urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/metrics", timeout=5).read().decode()
        assert 'eldernet_events_consumed_total{handler="admit_node_founder",node="xinfu-s03",service="wards",' \
               'type="eldernet.node.NodeStarted"} 1.0' in wards_metrics
    finally:
        node.send_signal(signal.SIGTERM)
        output = node.communicate(timeout=60)[0]
    assert node.returncode == 0, output

    replay = eldernet("replay", "wards", "ward_occupancy", "-c", config, env=dict(os.environ, PYTHONPATH=ROOT))
    assert replay.returncode == 0, replay.stderr
    assert "rebuilt wards.ward_occupancy from 2 events" in replay.stdout
    assert "2/2 events (100%)" in replay.stderr


def test_replay_of_an_unknown_projection_says_which_exist(node_config):
    config, _ = node_config
    result = eldernet("replay", "wards", "nope", "-c", config, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2
    assert "eldernet: no projection named 'nope' (known: ward_occupancy)" in result.stderr
    assert "Traceback" not in result.stderr
