"""Pricing throughput: delivered bookings → subsidy claims, beside the kernel's raw baselines.

One node's billing service as it runs in production — a nameko container, SQLite files in a temp
dir (WAL, synchronous=FULL), a throw-away vhost — with the city's home-care policy published and
``ELDERS`` elders known (their rows written before the clock starts). Per round:

(a) the consumer: N ``eldernet.booking.BookingDelivered`` events published to the node's exchange
    (messages built before timing, published with confirms inside the timing), until N
    ``ClaimPriced`` are in the store: inbox, unit of work (the policy books folded from the store,
    the elder's row, the cap's sum on the read model), one append and the claims projection per
    event — rate = claims per second;
(b) the service layer without the broker: ``intake.price`` of the same kind of event, one unit of
    work each, called in a loop;
(c) the pure domain: ``claim.decide`` of a ``PriceDelivery`` (pricing across the policy set);
(d) the store's floor, from bench/store.py on the same SQLite settings: ``EventStore.append`` of one
    event per transaction, and a raw SQLAlchemy insert per transaction.
"""
from __future__ import annotations

import time
import uuid
from datetime import date, datetime, timezone

import sqlalchemy as sa

from bench import store as store_bench
from bench.common import Figure, ServiceNode, fmt, header, ratio, run_rounds, table
from bench.sync_e2e import call, store_of
from shared.events import Event, utcnow
from shared.outbox import to_message
from shared.publisher import ConfirmedPublisher
from shared.topology import EVENTS_EXCHANGE
from shared.unit_of_work import UnitOfWork
from services.billing import intake
from services.billing.domain.claim_messages import PriceDelivery
from services.billing.domain.claims import claim
from services.billing.domain.policy_file import parse_policies
from services.billing.domain.pricing import Delivery, ElderProfile
from services.billing.elders import elders_table
from services.billing.service import BillingService

CITY, VILLAGE = "2104", "210402003001"
ELDERS = 200
POLICY = {"id": "fushun-home-care", "version": 1, "name": "政府购买居家养老服务", "set_by": CITY,
          "eligible": [{"min_age": 60, "disability_levels": ["partly_disabled", "fully_disabled"]}, {"min_age": 80}],
          "services": {"meals": {"unit": "meals", "rate_fen": 1200}, "day_care": {"unit": "days", "rate_fen": 3000}},
          "monthly_cap_fen": 40000, "copay_share": "10%", "budget_line": "home-care-purchase",
          "effective_from": "2026-01-01"}


class Node(ServiceNode):
    service_class, name = BillingService, "billing"
    node = {"id": "bench-city", "tier": "city", "area_code": CITY, "parent": None}

    def opened(self) -> None:
        call(self.container, "load_policies", {"policies": [POLICY]})
        self.elders = _elders(self.container)
        self.publisher = ConfirmedPublisher(self.vhost.amqp_uri, EVENTS_EXCHANGE)

    def closing(self) -> None:
        if getattr(self, "publisher", None) is not None:
            self.publisher.close()

    @property
    def store(self):
        return store_of(self.container)

    def priced(self) -> int:
        with self.store.engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM events WHERE type = 'eldernet.billing.ClaimPriced'")) \
                .scalar()


def _elders(container) -> list[str]:
    """``ELDERS`` elders of 1940, partly disabled, in the village (as the registry's events would leave them)."""
    ids = [str(uuid.uuid4()) for _ in range(ELDERS)]
    with store_of(container).engine.begin() as conn:
        conn.execute(elders_table.insert(), [
            {"elder_id": i, "birth_date": date(1940, 1, 1), "birth_version": 1, "home_area_code": VILLAGE,
             "home_version": 1, "disability_level": "partly_disabled", "disability_severity": "moderate",
             "disability_version": 2, "household": [], "household_version": 1} for i in ids])
    return ids


def delivered(n: int, elders: list[str]) -> list[Event]:
    """``n`` meals delivered today in the village, as the booking service records them."""
    today, now = intake.today(), utcnow()
    events = []
    for k in range(n):
        booking_id = str(uuid.uuid4())
        data = {"booking_id": booking_id, "elder_id": elders[k % len(elders)], "facility_id": "canteen-1",
                "area_code": VILLAGE, "service": "meals", "service_date": today.isoformat(), "until": None,
                "units": 1, "unit": "meals", "delivered_at": now.isoformat()}
        events.append(Event(type="eldernet.booking.BookingDelivered", source="eldernet://bench/booking",
                            subject=f"booking-{booking_id}", data=data, stream_id=f"booking-{booking_id}",
                            stream_version=5, origin_node="bench-city", area_code=VILLAGE))
    return events


def figures(node: Node, n: int) -> list[Figure]:
    def consume(messages):
        before = node.priced()
        started = time.perf_counter()
        node.publisher.publish_batch(messages)
        deadline = time.monotonic() + 600
        while node.priced() - before < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {node.priced() - before} of {n} claims priced")
            time.sleep(0.005)
        return time.perf_counter() - started

    def in_units_of_work(events):
        context = next(d for d in node.container.dependencies if hasattr(d, "context")).context
        for event in events:
            with UnitOfWork(context) as work:
                assert intake.price(work, event)

    policies = parse_policies({"policies": [POLICY]})
    elder = ElderProfile("e", date(1940, 1, 1), VILLAGE, "partly_disabled", "moderate")
    at = datetime.now(timezone.utc)
    commands = [PriceDelivery(Delivery(str(k), "e", "f", VILLAGE, "meals", intake.today(at), 1, "meals", at),
                              elder, policies, 0, at) for k in range(n)]

    def decide(_):
        for command in commands:
            claim.decide(claim.initial(), command)

    def fresh(kind):
        return store_bench.fresh_database("sqlite", n, kind)

    return [
        Figure("consumer", n, consume, lambda i: [to_message(e) for e in delivered(n, node.elders)]),
        Figure("service", n, in_units_of_work, lambda i: delivered(n, node.elders)),
        Figure("domain", n, decide),
        Figure("append", n, lambda c: store_bench.eldernet_append_one(*c), fresh("eldernet"), lambda c: c[0].close()),
        Figure("insert", n, lambda c: store_bench.raw_insert_one(*c), fresh("raw"), lambda c: c[0].close()),
    ]


def run(n: int = 1000, rounds: int = 3) -> list[list[str]]:
    header("Billing: delivered bookings → priced claims vs the service layer, the domain and the store's floors",
           f"N = {n} deliveries per round, {ELDERS} elders, one city policy, median of {rounds} rounds; "
           "one node's billing service, SQLite (WAL, synchronous=FULL)")
    with Node() as node:
        results = run_rounds(figures(node, n), rounds)
    consumer = results["consumer"]
    rows = [
        ["BookingDelivered → ClaimPriced through the consumer (inbox, 1 txn each)", fmt(consumer.median), "1.00",
         consumer.spread()],
        ["intake.price in a unit of work, no broker", fmt(results["service"].median),
         ratio(consumer, results["service"]), results["service"].spread()],
        ["claim.decide (pure pricing)", fmt(results["domain"].median), ratio(consumer, results["domain"]),
         results["domain"].spread()],
        ["EventStore.append, 1 event/txn (the store's floor)", fmt(results["append"].median),
         ratio(consumer, results["append"]), results["append"].spread()],
        ["raw SQLAlchemy insert, 1 row/txn", fmt(results["insert"].median), ratio(consumer, results["insert"]),
         results["insert"].spread()],
    ]
    table(["figure", "per s", "consumer / this", "rounds"], rows)
    return rows

