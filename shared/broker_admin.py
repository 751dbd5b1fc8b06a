"""Setting up a node's place on RabbitMQ through the management HTTP API: its vhost and rights.

Each node has its own vhost, so nodes sharing one broker (several on one machine, or a town and
its villages in one box) never see each other's queues; tiered sync links them explicitly.
"""
from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from kombu.utils.url import parse_url

from shared.topology import LINK_QUEUE_PATTERN, LINK_QUEUE_POLICY

DEFAULT_ADMIN_URL = "http://guest:guest@127.0.0.1:15672"


class BrokerAdminError(RuntimeError):
    pass


class BrokerAdmin:
    def __init__(self, admin_url: str = DEFAULT_ADMIN_URL, timeout: float = 10.0):
        parsed = urllib.parse.urlsplit(admin_url)
        self.base = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or 15672}"
        credentials = f"{urllib.parse.unquote(parsed.username or 'guest')}:{urllib.parse.unquote(parsed.password or 'guest')}"
        self.auth = "Basic " + base64.b64encode(credentials.encode()).decode()
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": self.auth, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raise BrokerAdminError(f"{method} {path}: HTTP {error.code} {error.read()[:200]!r}") from None
        except OSError as error:
            raise BrokerAdminError(
                f"cannot reach the RabbitMQ management API at {self.base} ({error}); is the broker running "
                "with the rabbitmq_management plugin? (`make services` sets both up)") from None

    def ensure_vhost(self, vhost: str, user: str = "guest") -> None:
        self.request("PUT", f"/api/vhosts/{quoted(vhost)}", {"description": "eldernet node"})
        self.request("PUT", f"/api/permissions/{quoted(vhost)}/{quoted(user)}",
                     {"configure": ".*", "write": ".*", "read": ".*"})

    def ensure_user(self, user: str, password: str) -> None:
        self.request("PUT", f"/api/users/{quoted(user)}", {"password": password, "tags": ""})

    def delete_user(self, user: str) -> None:
        self.request("DELETE", f"/api/users/{quoted(user)}")

    def grant(self, vhost: str, user: str, configure: str, write: str, read: str) -> None:
        self.request("PUT", f"/api/permissions/{quoted(vhost)}/{quoted(user)}",
                     {"configure": configure, "write": write, "read": read})

    def grant_child_link(self, parent_vhost: str, child_user: str, child_id: str) -> None:
        """A child's rights on its parent's vhost, and no more: publish up to ``eldernet.sync``
        (events, forwarded commands and their answers; its messages carry its user id, checked
        by the broker) and declare and drain its own queues of each service: ``down`` (its sync
        link), ``commands`` (commands forwarded to it) and ``replies`` (answers to those it
        forwarded up). It can neither read nor write another child's queue nor the parent's own,
        and it cannot publish to a queue directly (no write on the default exchange)."""
        own_queues = rf"^eldernet\.[a-z_]+\.(down|commands|replies)\.{re.escape(child_id)}$"
        self.grant(parent_vhost, child_user, configure=own_queues, write=r"^eldernet\.sync$", read=own_queues)

    def ensure_link_policy(self, vhost: str, max_length: int, message_ttl_ms: int) -> None:
        """Bound the children's link queues on a parent's vhost (shared/sync_relays.py)."""
        self.request("PUT", f"/api/policies/{quoted(vhost)}/{LINK_QUEUE_POLICY}", {
            "pattern": LINK_QUEUE_PATTERN, "apply-to": "queues", "priority": 1,
            "definition": {"max-length": max_length, "overflow": "reject-publish", "message-ttl": message_ttl_ms}})

    def delete_vhost(self, vhost: str) -> None:
        self.request("DELETE", f"/api/vhosts/{quoted(vhost)}")

    def queue(self, vhost: str, queue: str) -> dict:
        return self.request("GET", f"/api/queues/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(queue, safe='')}")


def quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def vhost_of(amqp_uri: str) -> str:
    return parse_url(amqp_uri).get("virtual_host") or "/"


def user_of(amqp_uri: str) -> str:
    return parse_url(amqp_uri).get("userid") or "guest"
