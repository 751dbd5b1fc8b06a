"""The alerts service's own nameko entrypoints: device signals from AMQP, and the checks' timer.

Device gateways publish one JSON signal per message (domain/signals.py documents it) to the topic
exchange ``eldernet.signals`` on the node's broker, routing key ``signal`` (or ``signal.`` followed
by anything, e.g. ``signal.sos``); the service consumes them from the quorum queue
``eldernet.alerts.on_signal``. As the kernel's event consumers do (shared/entrypoints.py), a message
that is not JSON (stage ``parse``) or not a signal (``validate``, the field named), or that the
domain refuses (``refused``: an unknown device, a kind its type cannot send, a device homed at
another node), goes to ``eldernet.alerts.on_signal.dlq`` with the reason in its headers; a handler
that fails otherwise is retried, then dead-lettered. A re-delivered signal changes nothing: the
same device, kind and time is deduplicated (domain/deduplication.py).
"""
from __future__ import annotations

import json
import time
from functools import partial

from nameko.containers import ContainerBeingKilled
from nameko.timer import Timer

from shared.aggregate import Rejected
from shared.entrypoints import EventConsumer, consumer_queue, delivery_attempts
from services.alerts.domain.signals import parse_signal
from services.alerts.metrics import alert_metrics
from services.alerts.settings import settings_of

# KERNEL-CANDIDATE: the name belongs with the others in shared/topology.py, and a consumer of raw
# JSON messages (not CloudEvents) with the same dead letters could live beside EventConsumer.
SIGNALS_EXCHANGE = "eldernet.signals"
SIGNAL_ROUTING_KEY = "signal"


class SignalConsumer(EventConsumer):
    """Takes device signals (JSON, not CloudEvents) with the kernel consumer's dead letters and retries."""

    exchange = SIGNALS_EXCHANGE

    def __init__(self, **kwargs):
        super().__init__(SIGNAL_ROUTING_KEY, **kwargs)

    def make_queue(self, service, method, registry):
        return consumer_queue(service, method, (SIGNAL_ROUTING_KEY,), exchange_name=SIGNALS_EXCHANGE)

    def handle_message(self, body, message) -> None:
        attempts = delivery_attempts(message)
        try:
            signal = parse_signal(json.loads(body))
        except ValueError as error:  # not JSON, or not UTF-8
            self._refused(message, "parse", f"not a JSON object: {error}", attempts)
            return
        except Rejected as error:
            self._refused(message, "validate", f"{error.field}: {error.reason}", attempts)
            return
        started = time.perf_counter()
        try:
            self.container.spawn_worker(self, (signal,), {},
                                        handle_result=partial(self._result, message, attempts, started))
        except ContainerBeingKilled:
            self.queue_consumer.requeue_message(message)

    def _result(self, message, attempts, started, worker_ctx, result, exc_info):
        try:
            if exc_info is None:
                self.queue_consumer.ack_message(message)
            elif isinstance(exc_info[1], Rejected):  # the domain said no: trying again changes nothing
                error = exc_info[1]
                self._refused(message, "refused", f"{error.field}: {error.reason}" if error.field else str(error),
                              attempts)
                return result, None
            else:
                self._failed(message, attempts, exc_info[1])
            return result, exc_info
        finally:
            self.metrics.handler_seconds.labels(**self.labels).observe(time.perf_counter() - started)

    def _refused(self, message, stage: str, reason: str, attempts: int) -> None:
        alert_metrics().signals.labels(node=self.events.node.id, outcome="refused").inc()
        self._dead_letter(message, stage, reason, attempts)


class CheckTimer(Timer):
    """nameko's timer, its interval read from ``ELDERNET.alerts.check_interval`` at setup."""

    def __init__(self, **kwargs):
        super().__init__(interval=None, **kwargs)

    def setup(self) -> None:
        self.interval = settings_of(self.container.config).check_interval


receive_signals = SignalConsumer.decorator
every_check = CheckTimer.decorator
