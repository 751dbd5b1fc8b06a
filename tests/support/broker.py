"""Helpers for tests against the real RabbitMQ: throw-away queues, waiting with a deadline."""
from __future__ import annotations

import time
from typing import Callable

import amqp

from shared.publisher import connection_params
from shared.topology import EVENTS_EXCHANGE


def wait_for(condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.05, message: str = ""):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message or condition}")
        time.sleep(interval)


class Tap:
    """A queue bound to the events exchange that a test reads everything from."""

    def __init__(self, amqp_uri: str, queue: str = "test.tap", pattern: str = "#"):
        self.conn = amqp.Connection(**connection_params(amqp_uri))
        self.conn.connect()
        self.channel = self.conn.channel()
        self.channel.exchange_declare(EVENTS_EXCHANGE, "topic", durable=True, auto_delete=False)
        self.channel.queue_declare(queue, durable=True, auto_delete=False)
        self.channel.queue_bind(queue, EVENTS_EXCHANGE, routing_key=pattern)
        self.queue = queue
        self.messages: list[amqp.Message] = []

    def drain(self) -> list[amqp.Message]:
        while True:
            message = self.channel.basic_get(self.queue, no_ack=True)
            if message is None:
                return self.messages
            self.messages.append(message)

    def close(self):
        self.conn.close()


def get_all(amqp_uri: str, queue: str) -> list[amqp.Message]:
    conn = amqp.Connection(**connection_params(amqp_uri))
    conn.connect()
    try:
        channel = conn.channel()
        messages = []
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            messages.append(message)
        return messages
    finally:
        conn.close()
