"""Names of eldernet's exchanges and queues on a node's RabbitMQ vhost, declared in one place.

* ``eldernet.events`` — durable topic exchange every service's outbox publishes to; routing key
  ``<event type>.<area code levels>`` (see Event.routing_key).
* ``eldernet.sync`` — durable topic exchange on a parent node's vhost that its children's uplinks
  publish to (tiered sync); each service's sync intake queue is bound for its event types.
* ``eldernet.<service>.down.<child id>`` — on a parent node's vhost, one quorum queue per child
  and service: what the parent sends down to that child, and its control messages (re-send
  requests); the child consumes it over its own connection. Its length limit and message TTL
  come from a broker policy (``eldernet node setup``), so operators can change them live.
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
# Policy that bounds the children's link queues (max length, overflow reject-publish, TTL).
LINK_QUEUE_ARGUMENTS = {"x-queue-type": "quorum"}  # declared alike by the parent and the child
LINK_QUEUE_POLICY = "eldernet-sync-links"
LINK_QUEUE_PATTERN = r"^eldernet\.[a-z_]+\.down\."
DEAD_LETTER_EXCHANGE = "eldernet.dlx"

# Headers a dead-lettered message carries, so an operator sees why it is there.
DEAD_REASON_HEADER = "x-eldernet-dead-reason"
DEAD_STAGE_HEADER = "x-eldernet-dead-stage"
DEAD_ATTEMPTS_HEADER = "x-eldernet-attempts"
DEAD_QUEUE_HEADER = "x-eldernet-queue"
DEAD_ROUTING_KEY_HEADER = "x-eldernet-routing-key"


def consumer_queue_name(service: str, handler: str) -> str:
    return f"eldernet.{service}.{handler}"


def child_link_queue(service: str, child_id: str) -> str:
    return f"eldernet.{service}.down.{child_id}"


def resend_routing_key(service: str) -> str:
    """Routing key on the parent's ``eldernet.sync`` exchange of a child's re-send request."""
    return f"eldernet.sync.ResendRequested.{service}"


def dead_letter_queue_name(queue: str) -> str:
    return f"{queue}.dlq"


def binding_pattern(event_type: str, area_code: str | None = None) -> str:
    """Routing-key pattern for one event type (``*`` for any), optionally inside one area."""
    words = area_words(area_code) if area_code else []
    return ".".join([event_type, *words, "#"])


# -- forwarding commands to their home node (shared/forwarding.py) -------------------------------
def commands_queue(service: str, child_id: str) -> str:
    return f"eldernet.{service}.commands.{child_id}"


def replies_queue(service: str, child_id: str) -> str:
    return f"eldernet.{service}.replies.{child_id}"


def children_commands_queue(service: str) -> str:
    return f"eldernet.{service}.forwarded_commands"


def process_replies_queue(service: str, reply_id: str) -> str:
    return f"eldernet.{service}.forward_replies.{reply_id}"


def command_routing_key(service: str) -> str:
    return f"eldernet.sync.Command.{service}"


def reply_routing_key(reply_id: str) -> str:
    return f"eldernet.sync.Reply.{reply_id}"
