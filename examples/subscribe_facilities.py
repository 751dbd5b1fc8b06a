"""Print the facilities registered in one district, as another team's service would receive them.

Plain pika and the standard library, no eldernet import: the contract is docs/asyncapi.yaml and
the way to use it docs/subscribing.md. It declares a durable quorum queue of its own (and a
dead-letter exchange and queue beside it), binds the queue to the node's ``eldernet.events``
exchange for ``eldernet.registry.FacilityRegistered`` in one district, and for each message:
parses the CloudEvent, skips one it has seen already (same ``source`` + ``id``), prints the
facility, then acks; a message it cannot read is dead-lettered, never dropped or retried forever.

    pip install pika
    python examples/subscribe_facilities.py \\
        --amqp-uri amqp://acme:SECRET@127.0.0.1:5672/eldernet-xinfu --district 210402 --queue acme.facilities

Stop with Ctrl-C, or after ``--max N`` facilities. Run it again with the same ``--queue``: what was
registered meanwhile is waiting in the queue.
"""
from __future__ import annotations

import argparse
import json
import re
import sys

import pika

EXCHANGE = "eldernet.events"
EVENT_TYPE = "eldernet.registry.FacilityRegistered"
SCHEMA_VERSION = 1  # the version of FacilityRegistered's data this code reads (docs/asyncapi.yaml)
LEVEL_WIDTHS = (2, 2, 2, 3, 3)  # province, city, district, town, village digits of an area code


class Unreadable(ValueError):
    """A message this subscriber cannot use: it goes to the dead-letter queue with the reason."""


def binding_pattern(event_type: str, area_code: str) -> str:
    """'210402' -> 'eldernet.registry.FacilityRegistered.21.04.02.#' (the district and all inside it)."""
    words, start = [], 0
    for width in LEVEL_WIDTHS:
        if start < len(area_code):
            words.append(area_code[start:start + width])
            start += width
    return ".".join([event_type, *words, "#"])


def parse(body: bytes) -> dict:
    """The CloudEvent in the body (structured mode), checked as far as this subscriber relies on it."""
    try:
        event = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise Unreadable(f"not JSON: {error}") from None
    if not isinstance(event, dict) or event.get("specversion") != "1.0":
        raise Unreadable("not a CloudEvents 1.0 event")
    if event.get("type") != EVENT_TYPE:
        raise Unreadable(f"unexpected type {event.get('type')!r}")
    version = event.get("schemaversion")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise Unreadable(f"schemaversion {version!r}: this subscriber reads up to {SCHEMA_VERSION}; upgrade it")
    if not isinstance(event.get("data"), dict) or not event.get("source") or not event.get("id"):
        raise Unreadable("source, id and data are required")
    return event


def describe(event: dict) -> str:
    facility = event["data"]
    capacity = facility.get("capacity") or {}
    beds = capacity.get("general_beds", 0) + capacity.get("nursing_beds", 0)
    return (f"{facility['area_code']}  {facility['name']}  ({facility['kind']}, {beds} beds, "
            f"{capacity.get('day_places', 0)} day places)  facility {facility['facility_id']}")


class Subscriber:
    def __init__(self, channel, queue: str, max_facilities: int | None):
        self.channel = channel
        self.queue = queue
        self.max_facilities = max_facilities
        self.printed = 0
        # The ids handled so far. A real service keeps them in its database and inserts the
        # (source, id) row in the same transaction as what it does with the event.
        self.seen: set[tuple[str, str]] = set()

    def declare(self, district: str) -> str:
        dead_letters = f"{self.queue}.dlx"
        self.channel.exchange_declare(EXCHANGE, passive=True)  # the node's; fails if the node never ran
        self.channel.exchange_declare(dead_letters, exchange_type="fanout", durable=True)
        self.channel.queue_declare(f"{self.queue}.dlq", durable=True, arguments={"x-queue-type": "quorum"})
        self.channel.queue_bind(f"{self.queue}.dlq", dead_letters)
        self.channel.queue_declare(self.queue, durable=True, arguments={
            "x-queue-type": "quorum",              # replicated, and counts deliveries:
            "x-delivery-limit": 5,                 # a message that crashes us each time ends in the DLQ
            "x-dead-letter-exchange": dead_letters,
        })
        pattern = binding_pattern(EVENT_TYPE, district)
        self.channel.queue_bind(self.queue, EXCHANGE, routing_key=pattern)
        self.channel.basic_qos(prefetch_count=20)
        return pattern

    def on_message(self, channel, method, properties, body: bytes) -> None:
        try:
            event = parse(body)
        except Unreadable as error:
            log(f"dead-lettering a message with routing key {method.routing_key}: {error}")
            channel.basic_nack(method.delivery_tag, requeue=False)
            return
        key = (event["source"], event["id"])
        if key in self.seen:  # delivery is at least once: a re-sent batch repeats events
            log(f"duplicate {event['id']} from {event['source']}: already handled")
        else:
            print(describe(event), flush=True)
            self.seen.add(key)
            self.printed += 1
        channel.basic_ack(method.delivery_tag)  # only after the work is done
        if self.max_facilities is not None and self.printed >= self.max_facilities:
            channel.stop_consuming()


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default="amqp://guest:guest@127.0.0.1:5672/eldernet-xinfu",
                        help="the node's broker and vhost, with your team's user (default: %(default)s)")
    parser.add_argument("--district", default="210402", help="6-digit district code (default: %(default)s)")
    parser.add_argument("--queue", default="acme.facilities",
                        help="your durable queue; its name starts with your team's prefix (default: %(default)s)")
    parser.add_argument("--max", type=int, default=None, metavar="N", help="stop after N facilities")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[0-9]{6}", args.district):
        parser.error(f"--district: a 6-digit district code such as 210402, not {args.district!r}")
    return args


def main(argv=None) -> int:
    args = arguments(argv)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(args.amqp_uri))
    except pika.exceptions.AMQPError as error:
        log(f"cannot connect to {args.amqp_uri.split('@')[-1]}: {error!r}; check the URI, user and vhost")
        return 2
    try:
        subscriber = Subscriber(connection.channel(), args.queue, args.max)
        try:
            pattern = subscriber.declare(args.district)
        except pika.exceptions.ChannelClosedByBroker as error:
            log(f"the broker refused: {error.reply_text} (is the node running, and does your user have the "
                "rights docs/subscribing.md lists?)")
            return 2
        log(f"listening on queue {args.queue}, bound to {EXCHANGE} with {pattern}")
        subscriber.channel.basic_consume(args.queue, subscriber.on_message)
        try:
            subscriber.channel.start_consuming()
        except KeyboardInterrupt:
            subscriber.channel.stop_consuming()
    finally:
        if connection.is_open:
            connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
