"""Starting a node's services: all in one process (a small village box) or one process each (a city).

Services are found by name, so the kernel never imports them: ``node`` is the kernel's own
service, and a domain service ``X`` lives in ``services/X/service.py`` as the class whose
``name`` is ``X``; an entry ``package.module:Class`` names any other nameko service class (an
integrator's own service beside eldernet's). Which ones a node runs is ``ELDERNET.services`` in
its config (default: the node service and every domain service that is installed).
"""
from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Mapping, Sequence

from shared.config import ConfigError, eldernet_section

log = logging.getLogger(__name__)

KERNEL_SERVICES = {"node": "shared.node_service"}
DOMAIN_SERVICES = ("registry", "booking", "billing", "alerts")


def module_of(name: str) -> str:
    return KERNEL_SERVICES.get(name, f"services.{name}.service")


def load_service(name: str) -> type:
    if ":" in name:
        return _load_class(name)
    try:
        module = importlib.import_module(module_of(name))
    except ModuleNotFoundError as error:
        raise ConfigError(f"service {name!r}: module {module_of(name)} not found ({error.name})") from None
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "name", None) == name and value.__module__ == module.__name__:
            return value
    raise ConfigError(f"service {name!r}: {module_of(name)} defines no class with name = {name!r}")


def _load_class(spec: str) -> type:
    module_name, _, class_name = spec.partition(":")
    try:
        service_class = getattr(importlib.import_module(module_name), class_name)
    except (ModuleNotFoundError, AttributeError) as error:
        raise ConfigError(f"service {spec!r}: cannot import it ({error})") from None
    if not isinstance(service_class, type) or not getattr(service_class, "name", None):
        raise ConfigError(f"service {spec!r}: not a nameko service class (it needs a `name`)")
    return service_class


def service_name(entry: str) -> str:
    """The nameko service name of a ``ELDERNET.services`` entry (it names the service's database)."""
    return load_service(entry).name if ":" in entry else entry


def installed_services() -> list[str]:
    names = ["node"]
    for name in DOMAIN_SERVICES:
        try:
            importlib.import_module(module_of(name))
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names


def node_services(config: Mapping) -> list[str]:
    configured = eldernet_section(config).get("services")
    return list(configured) if configured else installed_services()


def run_in_process(config: dict, names: Sequence[str]) -> int:
    """Run ``names`` in this process until SIGTERM or Ctrl-C (eventlet must be patched)."""
    import eventlet
    from nameko.runners import ServiceRunner

    declare_node_queues(config, names)
    runner = ServiceRunner(config)
    for name in names:
        runner.add_service(load_service(name))

    def shutdown(signum, frame):
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, shutdown)
    runner.start()
    log.info("node %s: running %s", eldernet_section(config)["node"]["id"], ", ".join(names))
    watcher = eventlet.spawn(runner.wait)
    while True:
        try:
            watcher.wait()
            return 0
        except KeyboardInterrupt:
            try:
                runner.stop()
            except KeyboardInterrupt:
                runner.kill()
        except OSError:  # an interrupted system call while waiting; wait again
            continue


def declare_node_queues(config: Mapping, names: Sequence[str]) -> None:
    """Declare every consumer queue of the node's services before any of them publishes."""
    from shared.entrypoints import consumer_queues_of, declare_consumer_queues

    queues = [queue for name in names for queue in consumer_queues_of(load_service(name))]
    declare_consumer_queues(config["AMQP_URI"], queues)


def run_process_per_service(config: dict, config_path: str, names: Sequence[str],
                            base_metrics_port: int | None) -> int:
    """One child process per service; stops them all when one stops or on SIGTERM."""
    declare_node_queues(config, names)
    children = []
    for index, name in enumerate(names):
        env = dict(os.environ)
        if base_metrics_port:
            env["ELDERNET__ELDERNET__METRICS__PORT"] = str(base_metrics_port + index)
        command = [sys.executable, "-m", "shared.cli", "node", "run", "--config", config_path, "--only", name]
        children.append(subprocess.Popen(command, env=env))
        log.info("started %s (pid %d)", name, children[-1].pid)

    def stop_all(signum=None, frame=None):
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop_all)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop_all()
    return max((child.wait() for child in children), default=0)
