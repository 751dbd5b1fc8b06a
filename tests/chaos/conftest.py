"""A district node whose registry runs in the test and whose booking service is a real OS process
(``eldernet node run --only booking``) the chaos cases kill, cut off and restart."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest
import yaml

from shared.node import database_url
from shared.runner import declare_node_queues
from services.registry.service import RegistryService
from tests.support.nodes import call

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TREE = [{"code": "2104", "name": "抚顺市", "tier": "city"},
        {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
        {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
        {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"}]


def facility(n: int) -> dict:
    return {"kind": "day_care_centre", "name": f"日间照料中心 {n}", "area_code": "210402003001",
            "ownership": "public", "capacity": {"day_places": 20 + n % 7}, "facility_id": str(uuid.uuid4())}


class BookingProcess:
    """``eldernet node run --only booking`` on the node's config, started and killed at will."""

    def __init__(self, config: dict, path: str, log_path: str):
        self.config, self.path, self.log_path = config, path, log_path
        self.process: subprocess.Popen | None = None

    def start(self, amqp_uri: str | None = None) -> None:
        config = dict(self.config, AMQP_URI=amqp_uri or self.config["AMQP_URI"])
        self._running_before = self.log().count("running booking") if os.path.exists(self.log_path) else 0
        with open(self.path, "w") as file:
            yaml.safe_dump(config, file)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen([sys.executable, "-m", "shared.cli", "node", "run", "-c", self.path,
                                         "--only", "booking"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        env=dict(os.environ, PYTHONPATH=ROOT))

    def wait_started(self, timeout: float = 60) -> None:
        """Until the runner says every extension has started (a cut during start-up is another
        case: see docs/reliability.md)."""
        from tests.support.broker import wait_for

        wait_for(lambda: self.log().count("running booking") > self._running_before, timeout=timeout,
                 message=f"booking to start (log: {self.log()})")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the box loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        with open(self.log_path, encoding="utf-8", errors="replace") as file:
            return file.read()


@pytest.fixture
def district(node_config, container_factory, tmp_path):
    """(registry container, booking process, registry db url, booking db url)."""
    config = dict(node_config)
    config["ELDERNET"] = dict(config["ELDERNET"], services=["booking"])
    declare_node_queues(config, ["booking"])  # its queue is there before the registry publishes
    booking = BookingProcess(config, str(tmp_path / "booking.yaml"), str(tmp_path / "booking.log"))
    registry = container_factory(RegistryService, node_config)
    registry.start()
    call(registry, "import_areas", TREE)
    yield registry, booking, database_url(config, "registry"), database_url(config, "booking")
    booking.stop()
