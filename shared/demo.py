"""``eldernet demo``: a four-tier network on this machine, each tier its own node.

Fushun city (2104) → Xinfu district (210402) → a street of Xinfu (210402003) → one of its
communities (210402003001), linked by tiered sync, and Enyang district (511903) of Bazhong on its
own: each node gets its own vhost, broker user (with rights on its parent's vhost for its link
only), data directory and metrics port, and runs its services in its own OS process. The demo
loads the seed data set (DOMAIN.md's real figures, scaled 1:100) through the registry's own
commands, each record at its home node (the area tree at the city, a community's elders at the
community's node), waits until the city holds everything its tiers recorded, then prints the
tier statistics the seed documents are about, runs a simulated day over them (bookings, subsidies,
an SOS: ``shared/demo_day.py``) and prints the status of every node and sync link.
Each run starts afresh: it removes what an earlier run left (vhosts, users, data directory).
"""
from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

import amqp
from nameko.standalone.rpc import ClusterRpcProxy

from shared.broker_admin import BrokerAdmin, BrokerAdminError
from shared.config import load_config
from shared.demo_day import run_day
from shared.local_network import LocalNetwork
from shared.nodeconfig import write_node_config
from shared.publisher import connection_params
from shared.status import node_status
from shared.sync_status import print_sync_status, sync_status
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
    DemoNode("enyang", "district", "511903", "bazhong", "Enyang district of Bazhong (巴中市恩阳区)"),
)
NODES = {node.id: node for node in NETWORK}
# Whose statistics the demo prints: the city's from what synced up, each tier's from its own node.
STATISTICS = (("fushun", "2104"), ("xinfu", "210402"), ("xinfu-s03-c001", "210402003001"), ("enyang", "511903"))
SEED_SCALE = 100
BASE_METRICS_PORT = 9460
BASE_HTTP_PORT = 8460  # each node's HTTP API (docs/api.md): 8460 for the city, 8461 the district, …


def say(message: str) -> None:
    print(f"[demo] {message}", flush=True)


def run_demo(data_dir: str = "var/demo", seconds: float = 3.0, keep_running: bool = False,
             scale: int = SEED_SCALE, day: bool = True) -> int:
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
        _load_seed(configs, scale)
        _print_statistics(configs)
        failed = run_day(configs, scale, data_dir).failures if day else []
        _report(configs)
        _print_sync(configs)
        if keep_running:
            say("nodes are running; metrics on ports "
                f"{BASE_METRICS_PORT}-{BASE_METRICS_PORT + len(NETWORK) - 1}, HTTP APIs on "
                f"{BASE_HTTP_PORT}-{BASE_HTTP_PORT + len(NETWORK) - 1}; Ctrl-C stops them")
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
        else:
            time.sleep(seconds)
    finally:
        _stop(processes)
    say("all nodes stopped; their stores are in " + os.path.abspath(data_dir))
    if failed:  # the network ran, but its day did not: say so in the exit status too
        say(f"the day had failed steps: {', '.join(failed)}")
        return 1
    return 0


def _prepare_nodes(admin: BrokerAdmin, data_dir: str) -> dict[str, str]:
    network = LocalNetwork({"ELDERNET": {}}, data_dir, prefix="eldernet", admin=admin)
    for node in NETWORK:
        network.forget(node.id)
    shutil.rmtree(data_dir, ignore_errors=True)
    for node in NETWORK:  # all of them first: a parent's config lists its children
        linked = node.parent in NODES
        network.add(node.id, node.tier, node.area_code, node.parent if linked else None,
                    upstream=None if linked else node.parent)
    configs = {}
    for index, node in enumerate(NETWORK):
        generated = network.config(node.id)
        path = os.path.join(data_dir, node.id, "node.yaml")
        write_node_config(path, node_id=node.id, tier=node.tier, area_code=node.area_code, parent=node.parent,
                          amqp_uri=generated["AMQP_URI"], data_dir=os.path.join(data_dir, node.id),
                          metrics_port=BASE_METRICS_PORT + index, http_port=BASE_HTTP_PORT + index,
                          sync=generated["ELDERNET"]["sync"])
        _declare_tap(load_config(path)["AMQP_URI"])
        configs[node.id] = path
        link = f"-> {node.parent}" if node.parent in NODES else "(top of its network here)"
        say(f"{node.tier:<8} {node.id:<15} area {node.area_code:<12} vhost {network.nodes[node.id].vhost:<24} "
            f"{link:<14} {node.label}")
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


def _load_seed(configs: dict[str, str], scale: int) -> None:
    """Load the registry seed, each record at its home node (single writer): the area tree and
    the city's own records at the city, each tier's records at its node once the tree has come
    down to it. Then wait until the city holds what every tier recorded (tiered sync)."""
    seed_module = importlib.import_module("services.registry.seed")
    loader = importlib.import_module("services.registry.seed_loader")
    seed = seed_module.build_seed(scale=scale)
    for node in NETWORK:
        children = tuple(n.area_code for n in NETWORK if n.parent == node.id)
        top = node.parent not in NODES
        part = loader.part_of(seed, node.area_code, excluding=children, with_areas=top)
        if not top:
            _wait_for(lambda: _holds_area(configs[node.id], node.area_code), 120,
                      f"the area tree to reach node {node.id}")
        say(f"loading the seed records homed at node {node.id} (scale 1:{scale}): "
            + ", ".join(f"{len(v)} {k}" for k, v in part.items()))
        started = time.monotonic()
        with ClusterRpcProxy(load_config(configs[node.id]), timeout=300) as cluster:
            loader.load(cluster.registry, part, progress=lambda line: say("  " + line))
        say(f"  loaded in {time.monotonic() - started:.1f} s")
    expected = len(loader.part_of(seed, "2104")["facilities"])
    started = time.monotonic()
    _wait_for(lambda: _facilities(configs["fushun"], "2104") >= expected, 300,
              f"the city to hold all {expected} facilities of its tiers",
              progress=lambda: f"city holds {_facilities(configs['fushun'], '2104')}/{expected} facilities")
    say(f"the city holds every tier's records ({expected} facilities) {time.monotonic() - started:.1f} s after loading")


def _wait_for(condition, timeout: float, what: str, progress=None) -> None:
    deadline, last_said = time.monotonic() + timeout, 0.0
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"[demo] gave up waiting for {what} after {timeout:.0f} s; see the nodes' node.log")
        if progress and time.monotonic() - last_said > 2:
            say("  " + progress())
            last_said = time.monotonic()
        time.sleep(0.3)


def _holds_area(config_path: str, area_code: str) -> bool:
    try:
        with ClusterRpcProxy(load_config(config_path), timeout=10) as cluster:
            cluster.registry.statistics(area_code)
        return True
    except Exception:  # noqa: BLE001 - NotFound over RPC: not there yet
        return False


def _facilities(config_path: str, area_code: str) -> int:
    with ClusterRpcProxy(load_config(config_path), timeout=30) as cluster:
        return sum(cluster.registry.statistics(area_code)["facilities_by_kind"].values())


def _print_statistics(configs: dict[str, str]) -> None:
    say("tier statistics (targets: 35-40 beds per 1 000 elders, nursing-type beds >= 60 %, "
        "community coverage >= 80 % urban / >= 70 % rural):")
    say(f"  {'area':<24} {'60+':>6} {'80+':>5} {'100+':>4} {'beds':>5} {'/1000':>6} {'nursing%':>8} "
        f"{'occup%':>6} {'cover urb/rur %':>16}  facilities")
    for node_id, area_code in STATISTICS:
        with ClusterRpcProxy(load_config(configs[node_id]), timeout=60) as cluster:
            s = cluster.registry.statistics(area_code)
        cover = s["community_coverage_percent"]
        kinds = ", ".join(f"{k} {n}" for k, n in s["facilities_by_kind"].items())
        say(f"  {s['area']['name'] + ' ' + area_code:<24} {s['elders']['60+']:>6} {s['elders']['80+']:>5} "
            f"{s['elders']['100+']:>4} {s['beds']:>5} {_fmt(s['beds_per_1000_elders']):>6} "
            f"{_fmt(s['nursing_bed_share_percent']):>8} {_fmt(s['occupancy_percent']):>6} "
            f"{_fmt(cover['urban']) + ' / ' + _fmt(cover['rural']):>16}  {kinds}")


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _report(configs: dict[str, str]) -> None:
    say("every node is up; asking each over RPC and HTTP, and counting what reached its broker:")
    for node in NETWORK:
        config = load_config(configs[node.id])
        with ClusterRpcProxy(config, timeout=10) as cluster:
            status = cluster.node.status()
        on_broker = _declare_tap(config["AMQP_URI"])
        say(f"  {node.id:<15} tier {status['tier']:<8} events stored {status['head_position']:>4}  "
            f"outbox backlog {status['outbox_backlog']}  events on the broker {on_broker}  "
            f"{_health(config['WEB_SERVER_ADDRESS'])}")


def _print_sync(configs: dict[str, str]) -> None:
    say("sync links of every node (`eldernet sync status -c <node.yaml>`):")
    for node in NETWORK:
        print_sync_status(sync_status(load_config(configs[node.id])))


def _health(address: str) -> str:
    url = f"http://{address}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return f"{url} {response.status}"
    except OSError as error:
        return f"{url} failed: {error}"


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
