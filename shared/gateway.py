"""The node's HTTP gateway: HTTP in, RPC out, JSON both ways, errors mapped in one place.

This is nameko-examples' gateway shape. The node service (``shared/node_service.py``) serves
``/healthz``, ``/api/v1/openapi.json`` and ``/api/v1/<service>/<path>`` with the
:func:`http` entrypoint below; a request for a domain service is authenticated here (bearer
token against the node's ``api_tokens`` read model), its JSON body parsed, and it is forwarded as
a plain dict to ``<service>.http(request)`` over RPC, where :class:`~shared.http_api.HttpApi`
serves it. The service's ``{"status", "body"}`` comes back as the HTTP response.

Every failure the caller can act on becomes an :class:`~shared.http_api.ApiError` somewhere
below, and :func:`answer` is the one place that turns one into a response; anything else is a
bug and answers 500 without details (nameko logs the traceback).
"""
from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any, Iterable, Mapping

import eventlet
from nameko.exceptions import MethodNotFound, RemoteError, UnknownService
from nameko.rpc import RpcProxy
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Request, Response

from shared.http_api import (ApiError, BadRequest, GatewayTimeout, NotFound, PayloadTooLarge, Principal,
                             ServiceUnavailable, Unauthorized)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# How long a request may wait for its service. The RPC message expires on the broker after the
# same time, so a request the gateway gave up on is not served later by a service that comes back.
RPC_TIMEOUT = 30.0
OPENAPI_TIMEOUT = 5.0  # for all services together; each describes itself from memory
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
WWW_AUTHENTICATE = 'Bearer realm="eldernet"'


def service_proxy(name: str) -> RpcProxy:
    """The gateway's RPC dependency on a domain service, known by name only (never imported)."""
    return RpcProxy(name, expiration=RPC_TIMEOUT)


# -- the entrypoint ---------------------------------------------------------------------------------
def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    payload = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(payload, status=status, headers=dict(headers or {}), content_type=JSON_CONTENT_TYPE)


def answer(error: ApiError) -> tuple[int, dict, dict]:
    """The one place an error becomes an HTTP answer: ``(status, body, headers)``."""
    headers = dict(error.headers)
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    return error.status, error.body(), headers


class JsonHttpEntrypoint(HttpRequestHandler):
    """nameko's ``@http``, answering JSON: a method returns ``(status, body)`` or ``(status, body, headers)``."""

    def response_from_result(self, result) -> Response:
        status, body, *rest = result
        return json_response(status, body, rest[0] if rest else None)

    def response_from_exception(self, exc: Exception) -> Response:
        # Only what the method did not answer itself gets here: a bug, whose traceback nameko logged.
        if not isinstance(exc, ApiError):
            exc = ApiError(500, "internal_error", "the node failed to handle the request; its log has the details")
        return json_response(*answer(exc))


def http(method: str, url: str, **kwargs):
    """``@http(method, url)`` for the gateway's methods: JSON out, an ApiError raised is the answer.

    The method answers its ApiErrors itself rather than raising them out of the worker, because
    nameko logs every exception a worker raises with its traceback, and a 401 is not an incident.
    """
    def decorate(fn):
        if not getattr(fn, "answers_api_errors", False):
            fn = _answering_api_errors(fn)
        return JsonHttpEntrypoint.decorator(method, url, **kwargs)(fn)
    return decorate


def _answering_api_errors(fn):
    @functools.wraps(fn)
    def method(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ApiError as error:
            return answer(error)

    method.answers_api_errors = True
    return method


# -- reading the request ----------------------------------------------------------------------------
def bearer_token(request: Request) -> str:
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthorized("missing 'Authorization: Bearer <token>' header (an operator makes tokens on the "
                           "node with `eldernet token create`)")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it has none."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    raw = _body_stream(request).read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    if not raw.strip():
        return None
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text", fields={"body": ["not valid UTF-8"]}) from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply", fields={"body": ["nested too deeply"]}) from None
    except ValueError as error:
        raise BadRequest("the body is not valid JSON", fields={"body": [f"not valid JSON: {error}"]}) from None


def _body_stream(request: Request):
    # werkzeug reads nothing of a body without Content-Length, so a chunked one would look empty;
    # eventlet's input decodes chunks, and reading at most MAX_BODY_BYTES + 1 bounds an endless one.
    if "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        return request.environ["wsgi.input"]
    return request.stream


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes (1 MiB)")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def api_request(request: Request, path: str, principal: Principal, body: Any) -> dict:
    """What a service's ``http`` RPC receives (see HttpApi.dispatch)."""
    return {"method": request.method, "path": "/" + path.lstrip("/"), "query": request.args.to_dict(),
            "body": body, "principal": principal.to_dict()}


# -- calling the services ---------------------------------------------------------------------------
def call_service(proxy, service: str, request: dict) -> dict:
    """``<service>.http(request)``, its failures turned into the gateway's answers."""
    timer = eventlet.Timeout(RPC_TIMEOUT)
    try:
        response = proxy.http(request)
    except UnknownService:
        raise ServiceUnavailable(f"the {service} service is not running on this node") from None
    except eventlet.Timeout as timeout:
        if timeout is not timer:
            raise
        raise GatewayTimeout(f"the {service} service did not answer within {RPC_TIMEOUT:g} s") from None
    except MethodNotFound:
        raise NotFound(f"the {service} service has no HTTP API") from None
    except RemoteError as error:
        log.error("%s.http failed: %s: %s", service, error.exc_type, error.value)
        raise ApiError(500, "internal_error", f"the {service} service failed to handle the request; "
                                              "its log has the details") from None
    finally:
        timer.cancel()
    if not (isinstance(response, dict) and isinstance(response.get("status"), int)):
        log.error("%s.http answered %r instead of {'status', 'body'}", service, type(response).__name__)
        raise ApiError(500, "internal_error", f"the {service} service gave a malformed answer")
    return response


def service_documents(proxies: Mapping[str, Any]) -> Iterable[dict]:
    """The ``openapi`` RPC of every service that is running; the others are left out.

    All are asked at once, so a node's document costs one round trip, not one per service.
    """
    replies = {}
    for name, proxy in proxies.items():
        try:
            replies[name] = proxy.openapi.call_async()
        except UnknownService:
            continue  # not running on this node
    deadline = time.monotonic() + OPENAPI_TIMEOUT
    for name, reply in replies.items():
        try:
            with eventlet.Timeout(max(deadline - time.monotonic(), 0.01)):
                document = reply.result()
        except eventlet.Timeout:
            log.warning("%s.openapi did not answer within %g s; left out of openapi.json", name, OPENAPI_TIMEOUT)
        except MethodNotFound:
            continue  # a service without an HTTP API
        except RemoteError as error:
            log.error("%s.openapi failed: %s: %s; left out of openapi.json", name, error.exc_type, error.value)
        else:
            yield document
