"""Helpers of the alerts integration tests: node configs, devices, signals, a webhook receiver."""
import copy
import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import amqp

from shared.publisher import connection_params
from services.alerts.entrypoints import SIGNALS_EXCHANGE
from tests.support.nodes import call

VILLAGE = "210402003001"


def village_config(node_config, **alerts):
    """A village node alone (no links), with ``alerts`` settings."""
    config = copy.deepcopy(node_config)
    config["ELDERNET"]["node"] = {"id": "xinfu-s03-c001", "tier": "village", "area_code": VILLAGE,
                                  "parent": "xinfu-s03"}
    config["ELDERNET"]["alerts"] = alerts
    return config


def register(container, device_id, device_type="sos_button", area=VILLAGE, elder_id="elder-1", **more):
    return call(container, "register_device", {"device_id": device_id, "device_type": device_type,
                                               "area_code": area, "elder_id": elder_id, **more})


def signal(device_id, kind="sos", at=None, **readings):
    at = at or datetime.now(timezone.utc)
    body = {"device_id": device_id, "kind": kind, "at": at.isoformat()}
    if readings:
        body["readings"] = readings
    return body


def publish(amqp_uri, body, routing_key="signal"):
    """What a device gateway does: one JSON message on the node's signals exchange."""
    conn = amqp.Connection(**connection_params(amqp_uri))
    conn.connect()
    try:
        channel = conn.channel()
        payload = body if isinstance(body, (bytes, str)) else json.dumps(body)
        channel.basic_publish(amqp.Message(payload, content_type="application/json"), exchange=SIGNALS_EXCHANGE,
                              routing_key=routing_key)
    finally:
        conn.close()


def later(at, **delta):
    return (at + timedelta(**delta)).isoformat()


class Webhook:
    """A local HTTP server that records the JSON notices POSTed to it."""

    def __init__(self, failing: int = 0):
        """``failing``: answer the first so many POSTs 503 (a receiver that is down), recording none."""
        received = self.received = []
        self.attempts = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                notice = json.loads(self.rfile.read(length))
                hook.attempts += 1
                if hook.attempts > failing:
                    received.append(notice)
                self.send_response(204 if hook.attempts > failing else 503)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, what):
        return [n for n in self.received if n["what"] == what]

    def close(self):
        self.server.shutdown()
        self.server.server_close()
