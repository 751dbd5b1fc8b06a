"""OpenAPI 3 documents of the HTTP API, generated from the operations' marshmallow schemas.

Each service describes its own operations (:meth:`HttpApi.openapi`, which it answers over RPC as
``<service>.openapi``); the node's gateway merges the documents of the services that are running
on the node into one, served at ``/api/v1/openapi.json``. Component names carry the service
(``registry.Facility``), so two services' schemas with the same class name cannot collide when
merged; the error body's schemas, defined here and the same everywhere, keep plain names.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

if TYPE_CHECKING:
    from shared.http_api import HttpApi, Operation

OPENAPI_VERSION = "3.0.3"
API_PREFIX = "/api/v1"
BEARER = "bearer"
BEARER_SCHEME = {"type": "http", "scheme": "bearer", "bearerFormat": "eln_<token_id>.<secret>",
                 "description": "An API token made on the node with `eldernet token create`."}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. forbidden, rejected"})
    message = fields.String(required=True, metadata={"description": "what went wrong, for a person"})
    field_messages = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                                 metadata={"description": 'messages per field path, e.g. {"body.beds": ["..."]}'})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


ERROR_RESPONSES = {
    "400": "Invalid query or body; `error.fields` names each field (`query.limit`, `body.beds`).",
    "401": "No token, or an unknown, expired or revoked one.",
    "403": "The token's role or area does not allow this.",
    "404": "No such operation or record.",
    "409": "Refused by the domain (`rejected`) or changed by a concurrent request (`conflict`).",
}


def schema_name_resolver(service: str):
    def resolve(schema) -> str:
        cls = schema if isinstance(schema, type) else type(schema)
        name = cls.__name__.removesuffix("Schema") or cls.__name__
        return name if cls.__module__ == __name__ else f"{service}.{name}"
    return resolve


def service_document(api: "HttpApi") -> dict:
    """One service's operations as an OpenAPI document, paths prefixed ``/api/v1/<service>``."""
    spec = APISpec(title=api.title, version=api.version, openapi_version=OPENAPI_VERSION,
                   plugins=[MarshmallowPlugin(schema_name_resolver=schema_name_resolver(api.service))])
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme(BEARER, BEARER_SCHEME)
    by_path: dict[str, dict] = {}
    for op in api.operations:
        by_path.setdefault(f"{API_PREFIX}/{api.service}{op.path}", {})[op.method.lower()] = _operation(api.service, op)
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(service: str, op: "Operation") -> dict:
    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                  for name in op.path_params]
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    operation = {
        "operationId": f"{service}.{op.handler}",
        "summary": op.summary or op.handler.replace("_", " "),
        "description": f"Needs a token with role {op.role} or higher.",
        "tags": [service],
        "security": [{BEARER: []}],
        "parameters": parameters,
        "responses": {str(op.status): _success(op), **_errors()},
    }
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    return operation


def _success(op: "Operation") -> dict:
    if op.paginated:
        schema = {"type": "object", "required": ["items", "total", "limit", "offset"], "properties": {
            "items": {"type": "array", "items": op.response if op.response is not None else {}},
            "total": {"type": "integer", "description": "items matching, over all pages"},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        }}
    elif op.response is not None:
        schema = op.response
    else:
        return {"description": "Success."}
    return {"description": "Success.", "content": {"application/json": {"schema": schema}}}


def _errors() -> dict:
    return {status: {"description": text, "content": {"application/json": {"schema": ErrorSchema}}}
            for status, text in ERROR_RESPONSES.items()}


# -- the node's merged document -------------------------------------------------------------------
_PUBLIC = {"security": [], "tags": ["node"]}
GATEWAY_PATHS = {
    "/healthz": {"get": {**_PUBLIC, "operationId": "node.healthz", "summary": "The node's id, tier and area",
                         "responses": {"200": {"description": "The node is up."}}}},
    f"{API_PREFIX}/openapi.json": {"get": {
        **_PUBLIC, "operationId": "node.openapi", "summary": "This document: every running service's operations",
        "responses": {"200": {"description": "An OpenAPI 3 document."}}}},
}


def merge_documents(title: str, version: str, parts: Iterable[Mapping], description: str = "") -> dict:
    """One OpenAPI document from the gateway's own paths and each service's ``{"paths", "components"}``."""
    document = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version, "description": description},
        "paths": dict(GATEWAY_PATHS),
        "components": {"schemas": {}, "securitySchemes": {BEARER: BEARER_SCHEME}},
        "security": [{BEARER: []}],
    }
    for part in parts:
        document["paths"].update(part.get("paths") or {})
        for kind, entries in (part.get("components") or {}).items():
            document["components"].setdefault(kind, {}).update(entries)
    return document
