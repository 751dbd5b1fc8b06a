"""Check (b): kombu + py-amqp under eventlet's monkey-patching, against the real broker.

Monkey-patches first, then: one greenthread waits in `drain_events` on a fresh auto-delete queue
while another greenthread publishes one message on a second connection 0.3 s later, and a third
ticks every 10 ms. The message only arrives if waiting on the broker socket yields to the hub.

    .venv/bin/python docs/checks/check_kombu_eventlet.py      # broker: amqp://guest:guest@127.0.0.1:5672//
    ELDERNET_AMQP_URI=amqp://... .venv/bin/python docs/checks/check_kombu_eventlet.py

Exit status 0 = the message went through and the hub kept ticking.
"""
import eventlet

eventlet.monkey_patch()

import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from importlib.metadata import version  # noqa: E402

from kombu import Connection, Exchange, Queue  # noqa: E402

URI = os.environ.get("ELDERNET_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672//")


def ticker(state):
    last = time.monotonic()
    while not state["done"]:
        eventlet.sleep(0.01)
        now = time.monotonic()
        state["max_gap"] = max(state["max_gap"], now - last)
        state["ticks"] += 1
        last = now


def main():
    print(f"python {sys.version.split()[0]}, eventlet {version('eventlet')}, kombu {version('kombu')}, "
          f"amqp {version('amqp')}, greenlet {version('greenlet')}")
    print(f"socket patched: {eventlet.patcher.is_monkey_patched('socket')}, "
          f"thread patched: {eventlet.patcher.is_monkey_patched('thread')}")
    name = f"eldernet-check-{uuid.uuid4().hex[:8]}"
    exchange = Exchange(name, type="direct", durable=False, auto_delete=True)
    queue = Queue(name, exchange=exchange, routing_key="check", durable=False, auto_delete=True)
    body = {"check": "kombu-eventlet", "id": uuid.uuid4().hex}
    state = {"done": False, "max_gap": 0.0, "ticks": 0}
    received = []

    def publish_later():
        eventlet.sleep(0.3)
        with Connection(URI, connect_timeout=5) as conn:
            conn.Producer().publish(body, exchange=exchange, routing_key="check", serializer="json",
                                    declare=[queue], retry=True)
            state["published_at"] = time.monotonic()

    with Connection(URI, connect_timeout=5) as conn:
        conn.connect()
        print(f"connected: {conn.as_uri()}")
        queue(conn.default_channel).declare()

        def on_message(payload, message):
            received.append(payload)
            state["received_at"] = time.monotonic()
            message.ack()

        tick = eventlet.spawn(ticker, state)
        pub = eventlet.spawn(publish_later)
        t0 = time.monotonic()
        with conn.Consumer(queue, callbacks=[on_message], accept=["json"]):
            try:
                conn.drain_events(timeout=5)
            except TimeoutError:
                pass
        pub.wait()
        state["done"] = True
        tick.wait()
    elapsed = time.monotonic() - t0
    ok = received == [body]
    print(f"received: {received} in {elapsed:.3f} s after start "
          f"(publish→consume {1000 * (state.get('received_at', 0) - state.get('published_at', 0)):.1f} ms)")
    print(f"ticker during the wait: {state['ticks']} ticks of 10 ms, longest gap {1000 * state['max_gap']:.1f} ms")
    ok = ok and state["max_gap"] < 0.2
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
