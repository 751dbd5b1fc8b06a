"""Timing helpers shared by the benchmarks: medians of rounds, a throw-away RabbitMQ vhost,
the machine header and the results table.

Every eldernet figure is printed beside a raw baseline measured in the same run on the same
machine (the machine is shared: rounds vary by ±30 %, so only same-run ratios mean much).
"""
from __future__ import annotations

import base64
import json
import os
import platform
import sqlite3
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

MANAGEMENT_URL = os.environ.get("ELDERNET_BENCH_MANAGEMENT", "http://guest:guest@127.0.0.1:15672")
AMQP_HOST = os.environ.get("ELDERNET_BENCH_AMQP_HOST", "127.0.0.1:5672")
POSTGRES_URL = os.environ.get("ELDERNET_BENCH_POSTGRES",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/eldernet_test")


# -- timing -----------------------------------------------------------------------------------
@dataclass
class Measure:
    """Rates (items per second) of every round of one figure."""

    name: str
    rates: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")

    def spread(self) -> str:
        if not self.rates:
            return "-"
        return f"{fmt(min(self.rates))}–{fmt(max(self.rates))}"


def timed(fn: Callable[[], Any]) -> float:
    """Seconds ``fn()`` took (perf_counter)."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


@dataclass
class Figure:
    """One thing to time: ``ctx = setup(round)`` (untimed), ``run(ctx)`` (timed), ``teardown(ctx)``.

    ``run`` may return the seconds it measured itself (a float) when only part of it counts;
    otherwise the whole call is timed. Rate = ``count`` / seconds.
    """

    name: str
    count: int
    run: Callable[[Any], Any]
    setup: Callable[[int], Any] = lambda i: None
    teardown: Callable[[Any], Any] = lambda ctx: None


def run_rounds(figures: list[Figure], rounds: int, progress: bool = True) -> dict[str, Measure]:
    """Time every figure ``rounds`` times, interleaved (round 1 of each, then round 2 of each…)
    so that the machine's drift hits an eldernet figure and its baseline alike."""
    results = {f.name: Measure(f.name) for f in figures}
    for i in range(rounds):
        for figure in figures:
            ctx = figure.setup(i)
            try:
                started = time.perf_counter()
                own = figure.run(ctx)
                elapsed = own if isinstance(own, float) else time.perf_counter() - started
            finally:
                figure.teardown(ctx)
            results[figure.name].rates.append(figure.count / elapsed)
            if progress:
                print(f"   round {i + 1}/{rounds} {figure.name}: {fmt(figure.count / elapsed)}/s", file=sys.stderr, flush=True)
    return results


# -- RabbitMQ management API ------------------------------------------------------------------
def _management(method: str, path: str, body: dict | None = None, timeout: float = 10.0):
    parsed = urllib.parse.urlsplit(MANAGEMENT_URL)
    url = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}{path}"
    auth = base64.b64encode(f"{parsed.username or 'guest'}:{parsed.password or 'guest'}".encode()).decode()
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Basic {auth}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


class Vhost:
    """A throw-away vhost (guest has all permissions on it), deleted with everything in it."""

    def __init__(self, prefix: str = "bench"):
        self.name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        self.quoted = urllib.parse.quote(self.name, safe="")
        self.amqp_uri = f"amqp://guest:guest@{AMQP_HOST}/{self.quoted}"

    def __enter__(self) -> "Vhost":
        _management("PUT", f"/api/vhosts/{self.quoted}", {})
        _management("PUT", f"/api/permissions/{self.quoted}/guest",
                    {"configure": ".*", "write": ".*", "read": ".*"})
        return self

    def __exit__(self, *exc) -> None:
        try:
            _management("DELETE", f"/api/vhosts/{self.quoted}")
        except urllib.error.URLError as error:  # leave the run's result standing
            print(f"warning: could not delete vhost {self.name}: {error}")


# -- the machine ------------------------------------------------------------------------------
_machine: dict[str, str] | None = None


def machine() -> dict[str, str]:
    global _machine
    if _machine is None:
        try:
            rabbit = _management("GET", "/api/overview").get("rabbitmq_version", "?")
        except (urllib.error.URLError, OSError) as error:
            rabbit = f"unreachable ({error})"
        _machine = {
            "nproc": str(os.cpu_count()),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "rabbitmq": rabbit,
            "postgresql": _postgres_version(),
        }
    return _machine


def _postgres_version() -> str:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    except Exception as error:  # noqa: BLE001 - the header only reports it
        return f"unreachable ({type(error).__name__})"


def header(title: str, details: str = "") -> None:
    m = machine()
    now = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    print()
    print(f"== {title} ==")
    print(f"   {now} | nproc {m['nproc']} | Python {m['python']} | SQLite {m['sqlite']} | "
          f"RabbitMQ {m['rabbitmq']} | PostgreSQL {m['postgresql']}")
    if details:
        print(f"   {details}")


# -- output -----------------------------------------------------------------------------------
def fmt(rate: float) -> str:
    return f"{rate:,.0f}".replace(",", " ")


def table(headers: list[str], rows: list[list[str]]) -> None:
    """A Markdown table, columns padded (first left-aligned, the others right-aligned)."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]

    def line(cells):
        out = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(out) + " |"

    print(line(headers))
    print("|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|")
    for row in rows:
        print(line(row))


def ratio(a: Measure, b: Measure) -> str:
    return f"{a.median / b.median:.2f}" if b.median else "-"


# -- a node under test ------------------------------------------------------------------------------
class ServiceNode:
    """A service's container on a throw-away vhost and data directory, removed on exit.
    A benchmark names its ``service_class``, ``name`` and ``node`` section; ``configure`` adds to
    the config, ``opened`` sets up what the figures need, ``closing`` undoes it."""

    service_class: type
    name: str
    node: dict

    def configure(self, config: dict) -> None:
        pass

    def opened(self) -> None:
        pass

    def closing(self) -> None:
        pass

    def __enter__(self):
        import copy
        import tempfile

        from nameko.containers import ServiceContainer

        from shared.config import DEFAULTS

        self.vhost = Vhost(f"bench-{self.name}").__enter__()
        self.dir = tempfile.mkdtemp(prefix=f"eldernet-bench-{self.name}-")
        config = copy.deepcopy(DEFAULTS)
        config["AMQP_URI"] = self.vhost.amqp_uri
        config["ELDERNET"].update({"node": self.node, "data_dir": self.dir, "metrics": {"port": None}})
        self.configure(config)
        self.config = config
        self.container = ServiceContainer(self.service_class, config)
        try:
            self.container.start()
            self.opened()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        import shutil

        try:
            self.closing()
            self.container.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.vhost.__exit__()
