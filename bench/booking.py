"""Booking at the node's HTTP API, beside the kernel's raw baselines measured in the same run.

One node as it runs in production — the gateway (NodeService), the registry and the booking
service as nameko containers, SQLite files in a temp dir (WAL, synchronous=FULL), a throw-away
vhost — with an operator token, ``FACILITIES`` day-care centres registered in the registry (booking
hears their capacity from its events) and ``ELDERS`` elders registered (booking hears of them).
Untimed setup; then, per round, with ``CLIENTS`` concurrent HTTP clients (greenthreads, each its
own connection):

(a) ``POST /api/v1/booking/bookings`` N times, each a different (elder, centre, day), all of which
    fit: one unit of work each (BookingRequested, TimeHeld, UnitsReserved, BookingConfirmed in three
    streams). The answer comes after the commit, so when the last answer is in every booking is
    confirmed: rate = confirmed bookings per second, checked against the ``BookingConfirmed``
    events in the store. Latency per request at the client, p50/p99 over all rounds.
(b) the API's floor: ``GET /api/v1/booking/bookings/{id}`` of bookings made in (a) — the same
    HTTP, token check, gateway and RPC to the booking service, and one indexed SELECT.
(c) the store's floor, from bench/store.py on the same SQLite settings: ``EventStore.append`` of
    one event per transaction, and a raw SQLAlchemy insert per transaction.

Each round books new days, so the pools' and calendars' streams grow over the run as they do in
use: a request folds its centre's whole pool stream (no snapshots yet), so the rate falls as a
pool fills; the spread of the rounds shows it.
"""
from __future__ import annotations

import copy
import shutil
import socket
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta

import eventlet
import requests
from eventlet.queue import LightQueue
import sqlalchemy as sa
from nameko.containers import ServiceContainer

from bench import store as store_bench
from bench.common import Figure, Vhost, fmt, header, ratio, run_rounds, table
from bench.sync_e2e import call, store_of
from shared.config import DEFAULTS
from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.booking.domain.catalogue import LOCAL
from services.booking.elders import elders_table
from services.booking.projections import pools
from services.booking.service import BookingService
from services.registry.domain.identity import check_digit
from services.registry.service import RegistryService

AREA, VILLAGE = "210402003", "210402003001"
TREE = [
    {"code": "2104", "name": "抚顺市", "tier": "city", "parent": None},
    {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
    {"code": AREA, "name": "永安台街道", "tier": "town", "parent": "210402"},
    {"code": VILLAGE, "name": "永安社区", "tier": "village", "parent": AREA},
]
FACILITIES, ELDERS, CLIENTS = 10, 200, 8
PLACES = 1000  # a centre's day places: every request fits, so every one is confirmed
API = "/api/v1/booking"


class Node:
    """The node under test, with its HTTP base URL and an operator's token."""

    def __enter__(self) -> "Node":
        self.vhost = Vhost("bench-booking").__enter__()
        self.dir = tempfile.mkdtemp(prefix="eldernet-bench-booking-")
        self.config = _config(self.vhost.amqp_uri, self.dir)
        self.containers = []
        try:
            for service in (NodeService, BookingService, RegistryService):  # booking's queues bound first
                container = ServiceContainer(service, self.config)
                container.start()
                self.containers.append(container)
            self.token, _ = issue_token(self.config, AREA, "operator", label="bench")
            self.base = f"http://{self.config['WEB_SERVER_ADDRESS']}{API}"
            call(self.registry, "import_areas", TREE)
        except BaseException:
            self.__exit__()
            raise
        return self

    @property
    def booking(self) -> ServiceContainer:
        return self.containers[1]

    @property
    def registry(self) -> ServiceContainer:
        return self.containers[2]

    def __exit__(self, *exc) -> None:
        try:
            for container in reversed(self.containers):
                container.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.vhost.__exit__()

    def request(self, session: requests.Session, method: str, path: str, **kwargs) -> requests.Response:
        return session.request(method, self.base + path, headers={"Authorization": f"Bearer {self.token}"},
                               timeout=60, **kwargs)


def _config(amqp_uri: str, data_dir: str) -> dict:
    config = copy.deepcopy(DEFAULTS)  # production defaults: outbox poll 0.05 s, 5 attempts
    config["AMQP_URI"] = amqp_uri
    config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{_free_port()}"
    config["ELDERNET"].update({"node": {"id": "bench-city", "tier": "city", "area_code": "2104", "parent": None},
                               "data_dir": data_dir, "metrics": {"port": None}})
    return config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- setup: centres and elders the registry holds and booking has heard of ------------------------
def register_centres(node: Node) -> list[str]:
    ids = [call(node.registry, "register_facility", {
        "kind": "day_care_centre", "name": f"日间照料中心{n}", "area_code": AREA, "ownership": "public",
        "capacity": {"day_places": PLACES}, "services": ["day_care"]})["facility_id"] for n in range(FACILITIES)]
    _wait(node, lambda conn: conn.execute(sa.select(sa.func.count()).select_from(pools)).scalar() == len(ids))
    return ids


def register_elders(node: Node) -> list[str]:
    ids = []
    for n in range(ELDERS):
        born = date(1935, 1, 1) + timedelta(days=n // 500)
        first17 = f"210402{born:%Y%m%d}{(n % 500) * 2 + 1:03d}"
        ids.append(call(node.registry, "register_elder", {
            "id_number": first17 + check_digit(first17), "name": "王秀英", "sex": "male",
            "birth_date": born.isoformat(), "home_area_code": VILLAGE, "household": ["empty_nest"]})["elder_id"])
    _wait(node, lambda conn: conn.execute(sa.select(sa.func.count()).select_from(elders_table)).scalar() == len(ids))
    return ids


def _wait(node: Node, done, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with store_of(node.booking).engine.connect() as conn:
            if done(conn):
                return
        if time.monotonic() > deadline:
            raise AssertionError("booking did not hear of the registry's records in time")
        time.sleep(0.05)


# -- the figures ----------------------------------------------------------------------------------
def bodies(n: int, round_: int, centres: list[str], elders: list[str]) -> list[dict]:
    """``n`` requests that all fit: elder k books centre k on a day of their own (this round's)."""
    first = datetime.now(LOCAL).date() + timedelta(days=1 + round_ * (n // len(elders) + 1))
    return [{"elder_id": elders[k % len(elders)], "facility_id": centres[k % len(centres)], "service": "day_care",
             "when": {"day": (first + timedelta(days=k // len(elders))).isoformat()}} for k in range(n)]


def concurrently(node: Node, calls: list[tuple[str, str, dict]], latencies: list[float]) -> list[dict]:
    """Every (method, path, kwargs) through ``CLIENTS`` clients; each one's latency is noted."""
    sessions = [requests.Session() for _ in range(CLIENTS)]
    queue = LightQueue()
    for session in sessions:
        queue.put(session)

    def one(item):
        session = queue.get()
        try:
            started = time.perf_counter()
            answer = node.request(session, item[0], item[1], **item[2])
            latencies.append(time.perf_counter() - started)
        finally:
            queue.put(session)
        if answer.status_code >= 300:
            raise AssertionError(f"{item[0]} {item[1]}: {answer.status_code} {answer.text[:300]}")
        return answer.json()
    try:
        return list(eventlet.GreenPool(CLIENTS).imap(one, calls))
    finally:
        for session in sessions:
            session.close()


def confirmed_in_store(node: Node) -> int:
    with store_of(node.booking).engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM events WHERE type = 'eldernet.booking.BookingConfirmed'")) \
            .scalar()


def figures(node: Node, n: int, centres: list[str], elders: list[str], latencies: dict) -> list[Figure]:
    made: list[str] = []

    def book(round_):
        before = confirmed_in_store(node)
        answers = concurrently(node, [("POST", "/bookings", {"json": body})
                                      for body in bodies(n, round_, centres, elders)], latencies["book"])
        assert {a["status"] for a in answers} == {"confirmed"}, {a["status"] for a in answers}
        assert confirmed_in_store(node) - before == n
        made[:] = [a["booking_id"] for a in answers]

    def read(_):
        concurrently(node, [("GET", f"/bookings/{booking_id}", {}) for booking_id in made], latencies["read"])

    def fresh(kind):
        return store_bench.fresh_database("sqlite", n, kind)

    def close(ctx):
        ctx[0].close()

    rounds = iter(range(1_000_000))
    return [
        Figure("book", n, lambda ctx: book(next(rounds))),
        Figure("read", n, read),
        Figure("append", n, lambda c: store_bench.eldernet_append_one(*c), fresh("eldernet"), close),
        Figure("insert", n, lambda c: store_bench.raw_insert_one(*c), fresh("raw"), close),
    ]


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def run(n: int = 1000, rounds: int = 3) -> list[list[str]]:
    header("Booking at the HTTP API: POST /bookings vs the API's and the store's floors",
           f"N = {n} requests per round, {CLIENTS} concurrent clients, {FACILITIES} day-care centres, "
           f"{ELDERS} elders, median of {rounds} rounds; one node (gateway + registry + booking), SQLite")
    latencies = {"book": [], "read": []}
    with Node() as node:
        started = time.perf_counter()
        centres, elders = register_centres(node), register_elders(node)
        print(f"   node up, {FACILITIES} centres and {ELDERS} elders registered and heard of by booking "
              f"in {time.perf_counter() - started:.1f} s")
        results = run_rounds(figures(node, n, centres, elders, latencies), rounds)
    ms = {name: (percentile(values, 50) * 1000, percentile(values, 99) * 1000) for name, values in latencies.items()}
    book = results["book"]
    rows = [
        ["POST /bookings → BookingConfirmed (a booking: 4 events, 3 streams, 1 txn)", fmt(book.median), "1.00",
         book.spread(), f"{ms['book'][0]:.1f}", f"{ms['book'][1]:.1f}"],
        ["GET /bookings/{id} through the same gateway (the API's floor)", fmt(results["read"].median),
         ratio(book, results["read"]), results["read"].spread(), f"{ms['read'][0]:.1f}", f"{ms['read'][1]:.1f}"],
        ["EventStore.append, 1 event/txn (the store's floor)", fmt(results["append"].median),
         ratio(book, results["append"]), results["append"].spread(), "", ""],
        ["raw SQLAlchemy insert, 1 row/txn", fmt(results["insert"].median), ratio(book, results["insert"]),
         results["insert"].spread(), "", ""],
    ]
    table(["figure", "per s", "booking / this", "rounds", "p50 ms", "p99 ms"], rows)
    return rows

