"""The ``node`` service every node runs: the node's own lifecycle, its API tokens and its HTTP gateway.

``NodeStarted`` (with the node's tier, area and parent) is appended each time the node starts,
so the node's history of restarts and re-configurations is in its event log and reaches
subscribers like any other event; ``status`` answers over RPC for operators and the demo.

API tokens (``TokenIssued``, ``TokenRevoked``; ``shared/tokens.py``) live in this service's
store, and its ``api_tokens`` read model is what the gateway checks bearer tokens against. The
gateway (``shared/gateway.py``) is this service's ``@http`` entrypoints on ``WEB_SERVER_ADDRESS``:
one web server per node, in front of every domain service's operations (docs/api.md).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from marshmallow import Schema, fields, post_load, validate
from nameko.rpc import rpc
from werkzeug.wrappers import Request

from shared import __version__, gateway
from shared.dependencies import EventSourced
from shared.events import format_time, utcnow
from shared.http_api import METHODS, HttpApi, MethodNotAllowed, NotFound, Operation, Page
from shared.lifecycle import on_start
from shared.openapi import merge_documents
from shared.runner import DOMAIN_SERVICES
from shared.schemas import EventRegistry
from shared.store import ANY_VERSION
from shared.tokens import (TOKEN_ISSUED, TOKEN_REVOKED, ApiTokens, TokenIssued, TokenIssuedSchema, TokenRevoked,
                           TokenRevokedSchema, authenticate, find_token, parse_token, tokens_inside)

NODE_STARTED = "eldernet.node.NodeStarted"


@dataclass(frozen=True)
class NodeStarted:
    node_id: str
    tier: str
    area_code: str
    parent: str | None
    software_version: str


class NodeStartedSchema(Schema):
    node_id = fields.String(required=True)
    tier = fields.String(required=True, validate=validate.OneOf(["city", "district", "town", "village"]))
    area_code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$"))
    parent = fields.String(load_default=None, allow_none=True)
    software_version = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return NodeStarted(**data)


def node_events() -> EventRegistry:
    registry = EventRegistry()
    registry.register(NODE_STARTED, NodeStarted, NodeStartedSchema())
    registry.register(TOKEN_ISSUED, TokenIssued, TokenIssuedSchema())
    registry.register(TOKEN_REVOKED, TokenRevoked, TokenRevokedSchema())
    return registry


# -- the node's own operations (/api/v1/node/...) -------------------------------------------------
class TokenSchema(Schema):
    """A token as the API shows it: never its secret, nor the secret's hash."""

    token_id = fields.String()
    label = fields.String()
    area_code = fields.String()
    role = fields.String()
    expires_at = fields.AwareDateTime(allow_none=True)
    issued_at = fields.AwareDateTime()
    state = fields.String(metadata={"description": "active, expired or revoked"})


NODE_API = HttpApi("node", [
    Operation("GET", "/status", "api_status", summary="The node's id, tier, area and event store head"),
    Operation("GET", "/tokens", "api_tokens", role="admin", response=TokenSchema, paginated=True,
              summary="API tokens inside the caller's area"),
])


class NodeService:
    name = "node"
    uow = EventSourced(registry=node_events(), projections=[ApiTokens()])
    # The domain services the gateway forwards to, by name: the kernel never imports services/.
    registry = gateway.service_proxy("registry")
    booking = gateway.service_proxy("booking")
    billing = gateway.service_proxy("billing")
    alerts = gateway.service_proxy("alerts")

    @on_start
    def announce(self):
        node = self.uow.node
        started = NodeStarted(node.id, node.tier.value, node.area_code, node.parent, __version__)
        with self.uow() as uow:
            uow.record(f"node-{node.id}", ANY_VERSION, [started], area_code=node.area_code, at=utcnow())

    @rpc
    def status(self):
        store = self.uow.store
        node = self.uow.node
        return {
            "node": node.id, "tier": node.tier.value, "area_code": node.area_code, "parent": node.parent,
            "head_position": store.head_position(),
            "outbox_backlog": self.uow.outbox_backlog(),
            "time": format_time(utcnow()),
        }

    # -- the gateway -------------------------------------------------------------------------------
    @gateway.http("GET", "/healthz")
    def healthz(self, request: Request):
        node = self.uow.node
        return 200, {"status": "ok", "node": node.id, "tier": node.tier.value, "area_code": node.area_code}

    @gateway.http("GET", "/api/v1/openapi.json")
    def openapi_document(self, request: Request):
        node = self.uow.node
        proxies = {name: getattr(self, name) for name in DOMAIN_SERVICES}
        parts = [NODE_API.openapi(), *gateway.service_documents(proxies)]
        return 200, merge_documents(f"eldernet node {node.id}", __version__, parts,
                                    f"The HTTP API of the {node.tier.value} node {node.id} (area {node.area_code}).")

    @gateway.http(",".join(METHODS), "/api/v1/<service>")
    @gateway.http(",".join(METHODS), "/api/v1/<service>/<path:path>")
    def forward(self, request: Request, service: str, path: str = ""):
        _refuse_methods_of_public_paths(request)
        if service != "node" and service not in DOMAIN_SERVICES:
            raise NotFound(f"no service {service!r}; the API has node, {', '.join(DOMAIN_SERVICES)}")
        token_id, secret = parse_token(gateway.bearer_token(request))
        with self.uow.read() as conn:
            principal = authenticate(find_token(conn, token_id), secret, utcnow())
        api_request = gateway.api_request(request, path, principal, gateway.json_body(request))
        if service == "node":
            response = NODE_API.dispatch(self, api_request)
        else:
            response = gateway.call_service(getattr(self, service), service, api_request)
        return response["status"], response.get("body"), response.get("headers")

    @gateway.http(",".join(METHODS), "/")
    @gateway.http(",".join(METHODS), "/<path:path>")
    def not_found(self, request: Request, path: str = ""):
        _refuse_methods_of_public_paths(request)
        raise NotFound(f"nothing at /{path}; the API is under /api/v1/<service>/ and described at /api/v1/openapi.json")

    # -- handlers of NODE_API ----------------------------------------------------------------------
    def api_status(self, principal, params, query, body):
        return self.status()

    def api_tokens(self, principal, params, query, body):
        now = utcnow()
        with self.uow.read() as conn:
            records, total = tokens_inside(conn, principal.area_code, query["limit"], query["offset"])
        items = [{**dataclasses.asdict(record), "state": record.state(now)} for record in records]
        return Page(items, total, query["limit"], query["offset"])


PUBLIC_PATHS = ("/healthz", "/api/v1/openapi.json")


def _refuse_methods_of_public_paths(request: Request) -> None:
    """A POST to /healthz reaches the catch-all routes: say 405, not 404."""
    if request.path.rstrip("/") in PUBLIC_PATHS:
        raise MethodNotAllowed(f"{request.method} is not allowed on {request.path}; allowed: GET",
                               headers={"Allow": "GET"})
