"""Names of eldernet's exchanges and queues on a node's RabbitMQ vhost, declared in one place.

* ``eldernet.events`` — durable topic exchange every service's outbox publishes to; routing key
  ``<event type>.<area code levels>`` (see Event.routing_key).
* ``eldernet.sync`` — durable topic exchange on a parent node's vhost that its children's uplinks
  publish to (tiered sync); each service's sync intake queue is bound for its event types.
* ``eldernet.dlx`` — durable direct exchange for dead letters; each consumer queue ``Q`` has a
  dead-letter queue ``Q.dlq`` bound with routing key ``Q``.
* consumer queues are quorum queues named ``eldernet.<service>.<handler method>``: the handler's
  name is API (renaming it strands the old queue).
"""
from __future__ import annotations

from shared.events import area_words

EVENTS_EXCHANGE = "eldernet.events"
# On a parent node's vhost: what its children forward up (tiered sync), same routing keys.
SYNC_EXCHANGE = "eldernet.sync"
UPLINK_CURSOR = "sync:up"  # each service database's cursor of what its uplink has forwarded
DEAD_LETTER_EXCHANGE = "eldernet.dlx"

# Headers a dead-lettered message carries, so an operator sees why it is there.
DEAD_REASON_HEADER = "x-eldernet-dead-reason"
DEAD_STAGE_HEADER = "x-eldernet-dead-stage"
DEAD_ATTEMPTS_HEADER = "x-eldernet-attempts"
DEAD_QUEUE_HEADER = "x-eldernet-queue"
DEAD_ROUTING_KEY_HEADER = "x-eldernet-routing-key"


def consumer_queue_name(service: str, handler: str) -> str:
    return f"eldernet.{service}.{handler}"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def binding_pattern(event_type: str, area_code: str | None = None) -> str:
    """Routing-key pattern for one event type (``*`` for any), optionally inside one area."""
    words = area_words(area_code) if area_code else []
    return ".".join([event_type, *words, "#"])
