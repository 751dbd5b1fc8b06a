"""A domain service's HTTP operations, declared as data and served without a web framework.

The node's gateway (``shared/gateway.py``) owns HTTP: it authenticates the bearer token, parses
the JSON body and forwards a plain dict over RPC to ``<service>.http(request)``. A service lists
its operations once and :class:`HttpApi` does the rest the same way in every service: match the
path, check the caller's role, validate query and body with the operation's marshmallow schemas,
call the handler, turn domain refusals into status codes, serialize the result — and describe it
all as OpenAPI 3 (``shared/openapi.py``).

    API = HttpApi("registry", [
        Operation("GET", "/facilities", "list_facilities", query=FacilityQuery, response=FacilitySchema,
                  paginated=True, summary="Facilities in the caller's area"),
        Operation("POST", "/facilities", "register_facility", role="operator", body=RegisterFacility,
                  response=FacilitySchema, status=201),
    ])

Nothing here imports nameko or does I/O (an import-linter contract checks it), so a service's API
is unit-tested with a plain object standing in for the service.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from marshmallow import Schema, fields, validate

from shared import __version__
from shared.aggregate import Rejected
from shared.events import is_area_code
from shared.openapi import service_document
from shared.schemas import PayloadError, load
from shared.store import ConcurrencyError
from shared.unit_of_work import NotHomeNode

# Each role may do everything the roles before it may.
ROLES = ("viewer", "operator", "admin")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def role_rank(role: str) -> int:
    try:
        return ROLES.index(role)
    except ValueError:
        raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}") from None


# -- errors -------------------------------------------------------------------------------------
class ApiError(Exception):
    """An answer other than success; its body is ``{"error": {"code", "message", "fields"}}``.

    ``fields`` maps a dotted field path (``body.beds``, ``query.limit``) to its messages;
    ``details`` are further members of the error a caller can act on (``home_node``).
    """

    def __init__(self, status: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None,
                 headers: Mapping[str, str] | None = None, details: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = {path: list(messages) for path, messages in (fields or {}).items()}
        self.headers = dict(headers or {})
        self.details = dict(details or {})

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields, **self.details}}

    def response(self) -> dict:
        response = {"status": self.status, "body": self.body()}
        if self.headers:
            response["headers"] = self.headers
        return response


class _StatusError(ApiError):
    """An ApiError whose status is fixed by its class."""

    status_code = 500
    default_code = "error"

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None, code: str | None = None,
                 headers: Mapping[str, str] | None = None):
        super().__init__(self.status_code, code or self.default_code, message, fields, headers)


class BadRequest(_StatusError):
    status_code, default_code = 400, "bad_request"


class Unauthorized(_StatusError):
    status_code, default_code = 401, "unauthorized"


class Forbidden(_StatusError):
    status_code, default_code = 403, "forbidden"


class NotFound(_StatusError):
    status_code, default_code = 404, "not_found"


class MethodNotAllowed(_StatusError):
    status_code, default_code = 405, "method_not_allowed"


class Conflict(_StatusError):
    status_code, default_code = 409, "conflict"


class PayloadTooLarge(_StatusError):
    status_code, default_code = 413, "payload_too_large"


class ServiceUnavailable(_StatusError):
    status_code, default_code = 503, "service_unavailable"


class GatewayTimeout(_StatusError):
    status_code, default_code = 504, "gateway_timeout"


def invalid(errors: Mapping[str, list[str]]) -> BadRequest:
    return BadRequest("invalid " + ", ".join(sorted(errors)), fields=errors)


NOT_HOME_NODE = "not_home_node"


def not_home_node(error: NotHomeNode) -> ApiError:
    """409 naming the node the record is written at: the caller, or a node that forwards
    commands (shared/forwarding.py), sends the request there."""
    return ApiError(409, NOT_HOME_NODE, error.reason, {error.field: [error.reason]} if error.field else None,
                    details={"home_node": error.home_node})


# -- who is asking ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Principal:
    """The holder of an API token: a role, scoped to an area and everything inside it.

    GB/T 2260 codes nest by prefix (2104 Fushun ⊃ 210402 Xinfu ⊃ 210402003 a street of Xinfu), so
    "inside the token's area" is a prefix test.
    """

    token_id: str
    area_code: str
    role: str

    def __post_init__(self):
        role_rank(self.role)
        if not is_area_code(self.area_code):
            raise ValueError(f"area_code {self.area_code!r}: not a GB/T 2260 area code")

    def has_role(self, role: str) -> bool:
        return role_rank(self.role) >= role_rank(role)

    def can_read(self, area_code: str) -> bool:
        return isinstance(area_code, str) and area_code.startswith(self.area_code)

    def can_write(self, area_code: str) -> bool:
        return self.has_role("operator") and self.can_read(area_code)

    def require_read(self, area_code: str) -> None:
        if not self.can_read(area_code):
            raise Forbidden(f"area {area_code} is outside this token's area {self.area_code}")

    def require_write(self, area_code: str) -> None:
        if not self.has_role("operator"):
            raise Forbidden(f"a {self.role} token may only read; writing needs an operator or admin token")
        self.require_read(area_code)

    def to_dict(self) -> dict:
        return {"token_id": self.token_id, "area_code": self.area_code, "role": self.role}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Principal":
        return cls(token_id=str(data["token_id"]), area_code=data["area_code"], role=data["role"])


# -- a request's scope as handlers see it: the caller's Principal, or None for a trusted caller
#    (RPC on the node's own broker, a consumer), who may do anything --------------------------------
def require_write(scope: Principal | None, area_code: str) -> None:
    if scope is not None:
        scope.require_write(area_code)


def require_seen(scope: Principal | None, area_code: str | None, what: str) -> None:
    """404 for what is not here or lies outside the caller's area (whose existence is not told)."""
    if area_code is None or (scope is not None and not scope.can_read(area_code)):
        raise NotFound(f"no {what}")


def area_filter(scope: Principal | None, area_code: str | None, default: str = "") -> str:
    """The area a list is about: the caller's own by default, never outside it."""
    if scope is None:
        return area_code or default
    if area_code is not None:
        scope.require_read(area_code)
    return area_code or scope.area_code


# -- pagination ---------------------------------------------------------------------------------
class PageQuerySchema(Schema):
    """``?limit=&offset=``; a paginated operation's query schema inherits it."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "items per page (1-500)"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0),
                            metadata={"description": "items to skip"})


@dataclass(frozen=True)
class Page:
    """What a paginated handler returns: one page of ``items`` and how many there are in all."""

    items: Sequence[Any]
    total: int
    limit: int
    offset: int


# -- operations ---------------------------------------------------------------------------------
SchemaLike = Schema | type[Schema] | None
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _schema(value: SchemaLike) -> Schema | None:
    return value() if isinstance(value, type) else value


@dataclass(frozen=True)
class Operation:
    """One HTTP operation of a service: ``handler`` names the service method that serves it.

    The handler is called as ``handler(principal=, params=, query=, body=)`` with the path
    parameters as strings and the loaded query and body (None when the operation has no schema).
    """

    method: str
    path: str
    handler: str
    role: str = "viewer"
    body: SchemaLike = None
    query: SchemaLike = None
    response: SchemaLike = None
    summary: str = ""
    paginated: bool = False
    status: int = 200
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        set_ = object.__setattr__  # frozen: normalize once, at declaration
        set_(self, "method", self.method.upper())
        if self.method not in METHODS:
            raise ValueError(f"{self.handler}: method {self.method!r} is not one of {', '.join(METHODS)}")
        if not self.path.startswith("/"):
            raise ValueError(f"{self.handler}: path {self.path!r} must start with '/'")
        role_rank(self.role)
        for name in ("body", "query", "response"):
            set_(self, name, _schema(getattr(self, name)))
        if self.paginated:
            if self.query is None:
                set_(self, "query", PageQuerySchema())
            elif not isinstance(self.query, PageQuerySchema):
                raise ValueError(f"{self.handler}: a paginated operation's query schema must inherit PageQuerySchema")
        set_(self, "pattern", _compile(self.path))

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()


def _compile(path: str) -> re.Pattern:
    parts, last = [], 0
    for param in _PARAM.finditer(path):
        parts.append(re.escape(path[last:param.start()]))
        parts.append(f"(?P<{param.group(1)}>[^/]+)")
        last = param.end()
    parts.append(re.escape(path[last:]))
    return re.compile("".join(parts))


class HttpApi:
    """A service's operations: dispatches the gateway's requests and describes them as OpenAPI."""

    def __init__(self, service: str, operations: Sequence[Operation], title: str | None = None,
                 version: str = __version__):
        self.service = service
        self.operations = list(operations)
        self.title = title or f"eldernet {service}"
        self.version = version
        seen = set()
        for op in self.operations:
            key = (op.method, op.path)
            if key in seen:
                raise ValueError(f"{service}: {op.method} {op.path} is declared twice")
            seen.add(key)

    # -- serving ---------------------------------------------------------------------------
    def dispatch(self, service_instance: Any, request: Mapping[str, Any]) -> dict:
        """Serve one request from the gateway; returns ``{"status", "body"[, "headers"]}``.

        Errors the caller can act on become their status code; anything else is a bug and
        propagates (the gateway answers 500 and the service's log has the traceback).
        """
        try:
            op, params = self.match(str(request.get("method", "")).upper(), str(request.get("path") or "/"))
            principal = _principal(request.get("principal"))
            if not principal.has_role(op.role):
                raise Forbidden(f"{op.method} {op.path} needs the {op.role} role or higher; "
                                f"this token's role is {principal.role}")
            query = _load_query(op, request.get("query") or {})
            body = _load_body(op, request.get("body"))
            handler: Callable = getattr(service_instance, op.handler)
            result = handler(principal=principal, params=params, query=query, body=body)
            return {"status": op.status, "body": _dump(op, result)}
        except ApiError as error:
            return error.response()
        except PayloadError as error:
            return invalid(error.errors).response()
        except NotHomeNode as error:
            return not_home_node(error).response()
        except Rejected as error:
            fields_ = {error.field: [error.reason]} if error.field else None
            return Conflict(error.reason, fields_, code="rejected").response()
        except ConcurrencyError:
            return Conflict("the record changed while this request was being handled; "
                            "read it again and retry").response()

    def match(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """The operation for ``method`` and ``path`` (relative to the service), with its path parameters."""
        path = path.rstrip("/") or "/"
        at_path = [(op, params) for op in self.operations if (params := op.match(path)) is not None]
        if not at_path:
            raise NotFound(f"{self.service} has no operation at {path}")
        for op, params in at_path:
            if op.method == method:
                return op, params
        allowed = sorted({op.method for op, _ in at_path})
        raise MethodNotAllowed(f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
                               headers={"Allow": ", ".join(allowed)})

    # -- describing ------------------------------------------------------------------------
    def openapi(self) -> dict:
        """``{"paths", "components"}`` of this service, prefixed ``/api/v1/<service>``."""
        document = service_document(self)
        return {"paths": document["paths"], "components": document.get("components", {})}

    def openapi_paths(self) -> dict:
        return self.openapi()["paths"]

    def openapi_components(self) -> dict:
        return self.openapi()["components"]


def _principal(data: Any) -> Principal:
    try:
        return Principal.from_dict(data)
    except (KeyError, TypeError, ValueError):
        raise Unauthorized("the request carries no valid principal") from None


def _load_query(op: Operation, query: Mapping[str, Any]) -> Any:
    if op.query is None:
        if query:
            raise invalid({f"query.{name}": ["Unknown field."] for name in query})
        return None
    return load(op.query, query, prefix="query.")


def _load_body(op: Operation, body: Any) -> Any:
    if op.body is None:
        if body is not None:
            raise invalid({"body": [f"{op.method} {op.path} takes no body"]})
        return None
    if not isinstance(body, Mapping):
        raise invalid({"body": ["a JSON object is required" if body is None else "expected a JSON object"]})
    return load(op.body, body, prefix="body.")


def _dump(op: Operation, result: Any) -> Any:
    if op.paginated:
        if not isinstance(result, Page):
            raise TypeError(f"{op.handler} is paginated and must return a Page, not {type(result).__name__}")
        items = op.response.dump(result.items, many=True) if op.response else list(result.items)
        return {"items": items, "total": result.total, "limit": result.limit, "offset": result.offset}
    if op.response is None or result is None:
        return result
    return op.response.dump(result, many=isinstance(result, (list, tuple)))
