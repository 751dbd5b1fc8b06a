"""The AsyncAPI document of every event eldernet publishes, generated from the marshmallow schemas.

Subscribers outside eldernet read the contract here (the checked-in copy is docs/asyncapi.yaml;
how to subscribe is docs/subscribing.md). Regenerate it after changing an event schema:

    python -m shared.asyncapi > docs/asyncapi.yaml

AsyncAPI **3.0**, not 2.6: 3.0 says what the application does (``action: send``) where 2.x's
``publish``/``subscribe`` were read backwards by half the tools and readers; it separates a
channel's id from its ``address`` (our routing-key expression); and it is the line the AsyncAPI
tools are developed on.

The events are found without starting anything: each installed service's class
(shared/runner.py) has an ``EventSourced`` dependency whose ``registry`` maps event types to
marshmallow schemas, and every such service also publishes the kernel's hand-offs:
``HomeHandedOver`` (shared/handoff.py) and ``AreaRecoded`` (shared/recoding.py).
apispec's MarshmallowPlugin turns the schemas into JSON Schema (OpenAPI 3.1 flavour, which is
JSON Schema: ``null`` as a type, not ``nullable``), with the same component names as the HTTP
API's OpenAPI document (``registry.Capacity``).

Each event type is one channel: the ``eldernet.events`` topic exchange with routing keys
``<type>.<area code levels>`` (Event.routing_key); its message is the CloudEvent in structured
mode, whose ``data`` is the payload schema.
"""
from __future__ import annotations

import inspect
from typing import Iterable, Iterator

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from shared import __version__
from shared.dependencies import EventSourced, register_kernel_events
from shared.events import CONTENT_TYPE, DATA_CONTENT_TYPE, SPECVERSION, TYPE_PREFIX
from shared.openapi import schema_name_resolver
from shared.runner import installed_services, load_service
from shared.schemas import EventRegistry, EventSpec
from shared.topology import EVENTS_EXCHANGE

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
ENVELOPE = "CloudEvent"
AREA = "area"
AREA_CODE_PATTERN = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$"

# The envelope's attributes (docs/events.md): JSON Schema and meaning. Required as parse_cloudevent
# requires them; the rest may be absent (datacontenttype is always sent, but defaults when absent).
REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "data", "streamid", "streamversion",
            "originnode", "areacode", "schemaversion")
ATTRIBUTES = {
    "specversion": ({"type": "string", "const": SPECVERSION}, "CloudEvents version."),
    "id": ({"type": "string", "minLength": 1}, "A UUID given when the event was first recorded."),
    "source": ({"type": "string", "minLength": 1, "examples": ["/eldernet/xinfu/registry"]},
               "`/eldernet/<node id>/<service>`, where it was recorded. `source` + `id` is the event's identity "
               "across the whole network: deduplicate on it."),
    "type": ({"type": "string", "pattern": "^eldernet\\."}, "`eldernet.<service>.<EventName>`, past tense."),
    "subject": ({"type": "string", "minLength": 1}, "The stream (aggregate) of the event, e.g. `facility-<id>`."),
    "time": ({"type": "string", "format": "date-time"}, "When the fact happened (RFC 3339, UTC)."),
    "datacontenttype": ({"type": "string", "const": DATA_CONTENT_TYPE}, "Content type of `data`."),
    "data": ({"type": "object"}, "The payload; its schema depends on `type` and `schemaversion`."),
    "streamid": ({"type": "string", "minLength": 1}, "The aggregate's stream."),
    "streamversion": ({"type": "integer", "minimum": 1}, "The event's version in its stream (1, 2, ...)."),
    "originnode": ({"type": "string", "minLength": 1}, "The node whose store first recorded the event."),
    "originarea": ({"type": "string", "pattern": AREA_CODE_PATTERN}, "The area code of that node."),
    "areacode": ({"type": "string", "pattern": AREA_CODE_PATTERN},
                 "GB/T 2260 / statistics-bureau code of the area the event is about; its levels are the "
                 "routing key's last words."),
    "correlationid": ({"type": "string"}, "The id of the first event of the business flow."),
    "causationid": ({"type": "string"}, "The id of the event that caused this one."),
    "schemaversion": ({"type": "integer", "minimum": 1}, "Version of the payload schema."),
    "recordedtime": ({"type": "string", "format": "date-time"},
                     "When the origin store recorded the event; later than `time` for late data."),
}


# -- which events ---------------------------------------------------------------------------------
def published_events(services: Iterable[str] | None = None) -> list[tuple[str, EventSpec]]:
    """(service, spec) of every event type the services publish, sorted by type."""
    found: dict[str, tuple[str, EventSpec]] = {}
    for service, registry in _registries(installed_services() if services is None else services):
        for event_type in registry.types:
            # A type named for another service is that service's contract (a consumer may
            # register it to validate what it receives); it is documented once, by its owner.
            if event_type.startswith(f"{TYPE_PREFIX}{service}."):
                found[event_type] = (service, registry.spec(event_type))
    return [found[event_type] for event_type in sorted(found)]


def _registries(services: Iterable[str]) -> Iterator[tuple[str, EventRegistry]]:
    """Each service's events as its running container has them (with its HomeHandedOver)."""
    for name in services:
        service_class = load_service(name)
        for _, provider in inspect.getmembers(service_class, lambda value: isinstance(value, EventSourced)):
            service = provider.service_override or service_class.name
            registry = EventRegistry()  # a copy: the class's own registry is left as it is
            for event_type in provider.registry.types:
                spec = provider.registry.spec(event_type)
                registry.register(spec.type, spec.event_class, spec.schema, spec.version, spec.upcasters)
            register_kernel_events(registry, service)
            yield service, registry


# -- the document ---------------------------------------------------------------------------------
def document(services: Iterable[str] | None = None) -> dict:
    events = published_events(services)
    schemas = {ENVELOPE: _envelope(), **_payload_schemas(events)}
    channels, operations, messages = {}, {}, {}
    for service, spec in events:
        name = spec.type.rsplit(".", 1)[1]
        channels[spec.type] = _channel(spec.type, name)
        operations[f"{spec.type}.send"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{spec.type}"},
            "messages": [{"$ref": f"#/channels/{spec.type}/messages/{name}"}],
            "summary": f"The {service} service publishes {name}.",
            "bindings": {"$ref": "#/components/operationBindings/persistent"},
        }
        messages[spec.type] = _message(service, spec, name)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {"title": "eldernet events", "version": __version__, "description": INFO},
        "defaultContentType": CONTENT_TYPE,
        "servers": {"node": SERVER},
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": messages,
            "parameters": {AREA: AREA_PARAMETER},
            "channelBindings": {"events": {"amqp": {
                "is": "routingKey",
                "exchange": {"name": EVENTS_EXCHANGE, "type": "topic", "durable": True, "autoDelete": False},
                "bindingVersion": AMQP_BINDING_VERSION,
            }}},
            "operationBindings": {"persistent": {"amqp": {
                "deliveryMode": 2, "timestamp": True, "bindingVersion": AMQP_BINDING_VERSION}}},
            "correlationIds": {"correlationid": {
                "description": "The first event of the business flow.", "location": "$message.payload#/correlationid"}},
        },
    }


def render(services: Iterable[str] | None = None) -> str:
    """The document as YAML, the same text for the same services (docs/asyncapi.yaml)."""
    text = yaml.dump(document(services), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
    return HEADER + text


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a literal block, so the YAML reads like the Markdown it is."""


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))


def _channel(event_type: str, name: str) -> dict:
    return {
        "address": f"{event_type}.{{{AREA}}}",
        "title": name,
        "description": f"`{event_type}` events on the `{EVENTS_EXCHANGE}` topic exchange of a node's vhost. "
                       f"Bind e.g. `{event_type}.21.04.02.#` for one district.",
        "parameters": {AREA: {"$ref": f"#/components/parameters/{AREA}"}},
        "messages": {name: {"$ref": f"#/components/messages/{event_type}"}},
        "bindings": {"$ref": "#/components/channelBindings/events"},
    }


def _message(service: str, spec: EventSpec, name: str) -> dict:
    about = _own_doc(type(spec.schema)) or _own_doc(spec.event_class)
    return {
        "name": name,
        "title": f"{name} (schema version {spec.version})",
        "summary": f"Published by the {service} service." + (f" {about}" if about else ""),
        "contentType": CONTENT_TYPE,
        "correlationId": {"$ref": "#/components/correlationIds/correlationid"},
        "payload": {"allOf": [
            {"$ref": f"#/components/schemas/{ENVELOPE}"},
            {"type": "object", "properties": {
                "type": {"const": spec.type},
                "schemaversion": {
                    "type": "integer", "minimum": 1, "maximum": spec.version,
                    "description": f"{spec.version} is the version `data` is described in; a lower one is an "
                                   "older payload, a higher one comes from a newer eldernet.",
                },
                "data": {"$ref": f"#/components/schemas/{schema_name_resolver(service)(spec.schema)}"},
            }},
        ]},
        "bindings": {"amqp": {"contentEncoding": "utf-8", "messageType": spec.type,
                              "bindingVersion": AMQP_BINDING_VERSION}},
        "x-eldernet-schemaversion": spec.version,
    }


def _own_doc(cls: type) -> str | None:
    """A class's own docstring; not a dataclass's generated signature, not an inherited one."""
    doc = cls.__dict__.get("__doc__")
    if not doc or doc.startswith(f"{cls.__name__}("):
        return None
    return inspect.cleandoc(doc)


def _payload_schemas(events: list[tuple[str, EventSpec]]) -> dict:
    """JSON Schema of every payload and the schemas nested in them, named as in the OpenAPI document."""
    schemas: dict[str, dict] = {}
    for service in sorted({service for service, _ in events}):
        resolve = schema_name_resolver(service)
        spec = APISpec(title=service, version=__version__, openapi_version="3.1.0",
                       plugins=[MarshmallowPlugin(schema_name_resolver=resolve)])
        for _, event in (pair for pair in events if pair[0] == service):
            if resolve(event.schema) not in spec.components.schemas:
                spec.components.schema(resolve(event.schema), schema=event.schema)
        schemas.update(spec.to_dict()["components"]["schemas"])
    return schemas


def _envelope() -> dict:
    return {
        "type": "object",
        "description": "A CloudEvents 1.0 event in structured mode (the whole event is the JSON body) with "
                       "eldernet's extension attributes (docs/events.md).",
        "required": list(REQUIRED),
        "properties": {name: {**schema, "description": text} for name, (schema, text) in ATTRIBUTES.items()},
    }


HEADER = "# Generated by `python -m shared.asyncapi > docs/asyncapi.yaml`; do not edit by hand.\n"
INFO = """Every event the installed eldernet services publish to a node's `eldernet.events` exchange.

Each message is a CloudEvent in structured mode: the AMQP body is the whole event as UTF-8 JSON,
content type `application/cloudevents+json`, with eldernet's extension attributes; `data` is the
event's payload as its `schemaversion` describes it. The routing key is the type followed by the
area code's levels as words: `eldernet.registry.FacilityRegistered.21.04.02.003.001`.

How to subscribe (vhost and user, binding a queue, idempotency, dead letters, versions):
docs/subscribing.md. The envelope in detail: docs/events.md."""
SERVER = {
    "host": "{host}",
    "pathname": "/{vhost}",
    "protocol": "amqp",
    "protocolVersion": "0.9.1",
    "title": "A node's RabbitMQ vhost",
    "description": "Each node has its own vhost (by default `eldernet-<node id>`); a subscriber connects to "
                   "the vhost of the node whose area it follows, with a user of its own.",
    "variables": {
        "host": {"default": "127.0.0.1:5672", "description": "The node's broker, host:port."},
        "vhost": {"default": "eldernet-xinfu", "description": "The node's vhost."},
    },
}
AREA_PARAMETER = {
    "description": "The event's `areacode` as dot-separated levels: province, city and district (2 digits "
                   "each), town and village (3 digits each); as many as the code has. Bind a prefix with "
                   "`#` to follow one area and everything in it (`21.04.02.#`).",
    "examples": ["21.04", "21.04.02", "21.04.02.003", "21.04.02.003.001"],
}


if __name__ == "__main__":
    print(render(), end="")
