"""The memory of a village node: every service and the sync in one process, against one process
per service (`eldernet node run` and `--process-per-service`), resident set size once the node
runs and has settled. Linux /proc; the node is real (its own vhost on the local broker)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import yaml

from bench.common import Vhost, header, table
from shared.runner import installed_services

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTLE_SECONDS = 5.0


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            return [int(p) for p in file.read().split()]
    except OSError:
        return []


def _node_config(directory: str, vhost: Vhost) -> str:
    path = os.path.join(directory, "village.yaml")
    with open(path, "w") as file:
        yaml.safe_dump({"AMQP_URI": vhost.amqp_uri, "WEB_SERVER_ADDRESS": "127.0.0.1:0",
                        "ELDERNET": {"node": {"id": "bench-village", "tier": "village", "area_code": "210402003001",
                                              "parent": "xinfu-s03"},
                                     "data_dir": os.path.join(directory, "data")}}, file)
    return path


def _measure(config: str, log_path: str, *extra: str) -> tuple[float, int]:
    with open(log_path, "w") as log:
        node = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", config, *extra],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with open(log_path) as log:
                text = log.read()
            started = text.count("node bench-village: running")
            if started >= (len(installed_services()) if extra else 1) or node.poll() is not None:
                break
            time.sleep(0.5)
        time.sleep(SETTLE_SECONDS)
        pids = children(node.pid) if extra else [node.pid]
        return sum(rss_mib(pid) for pid in pids), len(pids)
    finally:
        node.terminate()
        node.wait(timeout=60)


def run() -> None:
    header("memory of a village node", "resident set size after start-up and 5 s idle; all installed services")
    rows = []
    with tempfile.TemporaryDirectory() as directory, Vhost() as vhost:
        config = _node_config(directory, vhost)
        one, _ = _measure(config, os.path.join(directory, "one.log"))
        rows.append(["all services in one process", f"{one:.0f} MiB", "1"])
        split, processes = _measure(config, os.path.join(directory, "split.log"), "--process-per-service")
        rows.append(["one process per service", f"{split:.0f} MiB", str(processes)])
    table(["village node", "RSS", "processes"], rows)
    if one and split:
        print(f"   one process uses {one / split:.2f} of the memory of one process per service")
