"""``eldernet demo``: a four-tier network on this machine, each tier its own node.

Fushun city (2104) → Xinfu district (210402) → a street of Xinfu (210402003) → one of its
communities (210402003001): each node gets its own vhost, data directory and metrics port, runs
its services in its own OS process, records its start in its own event store and publishes it
through its outbox. The demo then checks every node over RPC and on the broker and prints what
it saw. The domain services (registry, booking, billing, alerts) and tiered sync join the demo
as they are built; see the README's roadmap.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import amqp

from shared.broker_admin import BrokerAdmin, BrokerAdminError
from shared.config import load_config
from shared.nodeconfig import write_node_config
from shared.publisher import connection_params
from shared.status import node_status
from shared.topology import EVENTS_EXCHANGE

TAP_QUEUE = "eldernet.demo.tap"


@dataclass(frozen=True)
class DemoNode:
    id: str
    tier: str
    area_code: str
    parent: str | None
    label: str


NETWORK = (
    DemoNode("fushun", "city", "2104", None, "Fushun city civil-affairs bureau (抚顺市)"),
    DemoNode("xinfu", "district", "210402", "fushun", "Xinfu district (新抚区)"),
    DemoNode("xinfu-s03", "town", "210402003", "xinfu", "a street of Xinfu (街道)"),
    DemoNode("xinfu-s03-c001", "village", "210402003001", "xinfu-s03", "one of its communities (社区)"),
)
BASE_METRICS_PORT = 9460


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def run_demo(data_dir: str = "var/demo", seconds: float = 3.0, keep_running: bool = False) -> int:
    admin = BrokerAdmin()
    try:
        admin.request("GET", "/api/overview")
    except BrokerAdminError as error:
        say(f"cannot start: {error}")
        return 1
    configs = _prepare_nodes(admin, data_dir)
    processes = {}
    try:
        for node in NETWORK:
            processes[node.id] = _start_node(configs[node.id], data_dir, node)
        _wait_until_announced(configs, processes)
        _report(configs)
        if keep_running:
            say("nodes are running; metrics on ports "
                f"{BASE_METRICS_PORT}-{BASE_METRICS_PORT + len(NETWORK) - 1}; Ctrl-C stops them")
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
        else:
            time.sleep(seconds)
    finally:
        _stop(processes)
    say("all nodes stopped; their stores are in " + os.path.abspath(data_dir))
    return 0


def _prepare_nodes(admin: BrokerAdmin, data_dir: str) -> dict[str, str]:
    configs = {}
    for index, node in enumerate(NETWORK):
        path = os.path.join(data_dir, node.id, "node.yaml")
        write_node_config(path, node_id=node.id, tier=node.tier, area_code=node.area_code, parent=node.parent,
                          data_dir=os.path.join(data_dir, node.id), metrics_port=BASE_METRICS_PORT + index)
        vhost = f"eldernet-{node.id}"
        admin.ensure_vhost(vhost)
        _declare_tap(load_config(path)["AMQP_URI"])
        configs[node.id] = path
        say(f"{node.tier:<8} {node.id:<15} area {node.area_code:<12} vhost {vhost:<24} {node.label}")
    return configs


def _declare_tap(amqp_uri: str) -> int:
    """A queue that keeps every event the node publishes, so the demo can count them.

    Returns how many messages it holds (declaring an existing queue reports its depth).
    """
    conn = amqp.Connection(**connection_params(amqp_uri))
    conn.connect()
    try:
        channel = conn.channel()
        channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True, auto_delete=False)
        _, depth, _ = channel.queue_declare(TAP_QUEUE, durable=True, auto_delete=False,
                                            arguments={"x-max-length": 10000})
        channel.queue_bind(TAP_QUEUE, EVENTS_EXCHANGE, routing_key="#")
        return depth
    finally:
        conn.close()


def _start_node(config_path: str, data_dir: str, node: DemoNode) -> subprocess.Popen:
    log_path = os.path.join(data_dir, node.id, "node.log")
    log = open(log_path, "ab")
    process = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "--config", config_path],
                               stdout=log, stderr=subprocess.STDOUT)
    say(f"started node {node.id} (pid {process.pid}, log {log_path})")
    return process


def _wait_until_announced(configs: dict[str, str], processes: dict, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    waiting = set(configs)
    while waiting:
        for node_id in sorted(waiting):
            if processes[node_id].poll() is not None:
                raise SystemExit(f"[demo] node {node_id} exited with {processes[node_id].returncode}; see its node.log")
            status = node_status(load_config(configs[node_id]))["services"]["node"]
            if status["state"] == "ok" and status["events"] >= 1 and status["outbox_backlog"] == 0:
                waiting.discard(node_id)
        if time.monotonic() > deadline:
            raise SystemExit(f"[demo] nodes not ready after {timeout}s: {', '.join(sorted(waiting))}")
        time.sleep(0.2)


def _report(configs: dict[str, str]) -> None:
    from nameko.standalone.rpc import ClusterRpcProxy

    say("every node is up; asking each over RPC and counting what reached its broker:")
    for node in NETWORK:
        config = load_config(configs[node.id])
        with ClusterRpcProxy(config, timeout=10) as cluster:
            status = cluster.node.status()
        on_broker = _declare_tap(config["AMQP_URI"])
        say(f"  {node.id:<15} tier {status['tier']:<8} events stored {status['head_position']:>4}  "
            f"outbox backlog {status['outbox_backlog']}  events on the broker {on_broker}")


def _stop(processes: dict) -> None:
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for node_id, process in processes.items():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            say(f"node {node_id} did not stop in 20 s; killing it")
            process.kill()
