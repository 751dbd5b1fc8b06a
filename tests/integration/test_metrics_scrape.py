"""A real node with every installed service in one process, scraped on /metrics: every metric
docs/metrics.md documents is there with its type, every eldernet metric there is documented, and
names and labels follow Prometheus's conventions (tests/support/metrics_doc.py)."""
import os
import re
import signal
import subprocess
import sys
import urllib.request
import uuid

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from shared.broker_admin import BrokerAdmin
from shared.runner import installed_services
from tests.cli.test_node_run import free_port
from tests.support.broker import wait_for
from tests.support.metrics_doc import ROOT, documented_metrics, label_problems, naming_problems

pytestmark = pytest.mark.integration


@pytest.fixture
def running_node(tmp_path):
    vhost = f"eldernet-test-{uuid.uuid4().hex[:8]}"
    admin = BrokerAdmin()
    admin.ensure_vhost(vhost)
    port = free_port()
    config = tmp_path / "node.yaml"
    config.write_text(yaml.safe_dump({
        "AMQP_URI": f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}",
        "ELDERNET": {
            "node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
            "data_dir": str(tmp_path / "data"),
            "metrics": {"port": port},
            "outbox": {"poll_interval": 0.02},
        },  # no `services`: every installed one, as a node runs by default
    }))
    log = tmp_path / "node.log"
    with open(log, "w") as out:
        node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", str(config)], cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=ROOT), stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}/metrics", node, log
    finally:
        node.send_signal(signal.SIGTERM)
        try:
            wait_for(lambda: node.poll() is not None, timeout=60, message="the node to stop on SIGTERM")
        finally:
            if node.poll() is None:
                node.kill()
                node.wait()
            admin.delete_vhost(vhost)
    assert node.returncode == 0, log.read_text()


def scrape(url):
    try:
        return urllib.request.urlopen(url, timeout=5).read().decode()
    except OSError:
        return ""


def exposed(text):
    """name as a query uses it (counters with _total) -> (type, samples' label sets)."""
    families = {}
    typed = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("eldernet_"):
            continue
        base = family.name[:-len("_created")]
        if family.name.endswith("_created") and (base in typed or base + "_total" in typed):
            continue  # the creation time prometheus_client serves beside a counter or histogram
        name = family.name + "_total" if family.type == "counter" else family.name
        families[name] = (family.type, [dict(s.labels) for s in family.samples])
    return families


def test_every_documented_metric_is_served_and_every_served_one_is_documented(running_node):
    url, node, log = running_node
    # Every service has been set up (and registered its metric families) once the runner says the
    # node runs; the node service's NodeStarted, published, makes the kernel's series non-empty.
    wait_for(lambda: node.poll() is not None or "node xinfu: running" in log.read_text(), timeout=60,
             message="the node to start every service")
    text = wait_for(lambda: node.poll() is None and "eldernet_events_published_total{" in (t := scrape(url)) and t,
                    timeout=60, message="the node to serve /metrics and publish NodeStarted")
    assert node.poll() is None
    served = exposed(text)
    documented = documented_metrics()
    assert len(documented) >= 19  # the doc's table was read

    missing = sorted(set(documented) - set(served))
    assert not missing, f"documented in docs/metrics.md but not served by {installed_services()}: {missing}"
    undocumented = sorted(set(served) - set(documented))
    assert not undocumented, f"served but not documented in docs/metrics.md: {undocumented}"
    wrong_type = {n: (documented[n][0], served[n][0]) for n in documented if documented[n][0] != served[n][0]}
    assert not wrong_type, f"documented type vs served type: {wrong_type}"

    problems = []
    for name, (kind, samples) in served.items():
        problems += naming_problems(name, kind)
        for labels in samples:
            extra = set(labels) - {"node", "service", "le", "quantile"}
            if extra != set(documented[name][1]):
                problems.append(f"{name}: labels {sorted(extra)}, documented {sorted(documented[name][1])}")
            problems += label_problems(name, labels)
    for name, (_, labels) in documented.items():
        problems += label_problems(name, dict.fromkeys(labels, ""))
    assert not problems, "\n".join(sorted(set(problems)))
    # The check saw real series, not just empty families.
    assert served["eldernet_events_appended_total"][1], "no appended events were counted"
