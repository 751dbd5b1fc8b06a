"""Payload schemas: every event and command payload has a marshmallow schema.

:class:`EventRegistry` maps an event type (``eldernet.registry.FacilityRegistered``) to its
domain dataclass, its marshmallow schema, its current schema version and the upcasters that
bring older versions' payloads up to date. Payloads are validated on the way in (received
events, commands), and a bad one raises :class:`PayloadError` naming the field.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

from marshmallow import Schema, ValidationError, post_load, validate

from shared.events import Event

Upcaster = Callable[[dict], dict]


class PayloadError(ValueError):
    """A payload failed validation. ``errors`` maps dotted field paths to messages."""

    def __init__(self, errors: Mapping[str, list[str]], prefix: str = ""):
        self.errors = {f"{prefix}{path}": msgs for path, msgs in errors.items()}
        super().__init__("; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in self.errors.items()))

    @property
    def fields(self) -> list[str]:
        return list(self.errors)

    @classmethod
    def from_validation_error(cls, error: ValidationError, prefix: str = "") -> "PayloadError":
        return cls(flatten_messages(error.messages), prefix)


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def flatten_messages(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict -> {"address.street": ["Missing data ..."]}."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            # A nested schema's own "_schema" error is about the field that holds it.
            child = path if key == "_schema" and path else (f"{path}.{key}" if path else str(key))
            flat.update(flatten_messages(value, child))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {path or "_schema": list(messages)}
    return {path or "_schema": [str(messages)]}


def load(schema: Schema, payload: Any, prefix: str = "") -> Any:
    """Validate and deserialize ``payload`` with ``schema``, raising PayloadError on failure."""
    if not isinstance(payload, Mapping):
        raise PayloadError({"_schema": ["expected a JSON object"]}, prefix)
    bad_text = find_invalid_text(payload)
    if bad_text is not None:
        raise PayloadError({bad_text: ["not valid text (a lone surrogate, or a control character such as "
                                       "U+0000; tab and line breaks are fine)"]}, prefix)
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise PayloadError.from_validation_error(error, prefix) from None


def find_invalid_text(value: Any, path: str = "") -> str | None:
    """The path of the first string (key or value) that is not text: it cannot be encoded as
    UTF-8, or it holds a control character (PostgreSQL refuses U+0000 in text and JSON, and
    none belongs in a record a person reads)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "_schema"
        return path or "_schema" if CONTROL_CHARACTERS.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found = find_invalid_text(key, child) or find_invalid_text(item, child)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = find_invalid_text(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


def jsonable(value: Any) -> Any:
    """Rows and results made ready for JSON (RPC, HTTP): dates as ISO 8601, tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    return value


@dataclass(frozen=True)
class EventSpec:
    type: str
    event_class: type
    schema: Schema
    version: int = 1
    upcasters: Mapping[int, Upcaster] = field(default_factory=dict)

    def upcast(self, data: dict, from_version: int) -> dict:
        """Bring a payload written at ``from_version`` up to the current version."""
        if from_version > self.version:
            raise PayloadError({"schemaversion": [
                f"version {from_version} is newer than this service knows ({self.version}); upgrade the service"]})
        for version in range(from_version, self.version):
            upcaster = self.upcasters.get(version)
            if upcaster is None:
                raise PayloadError({"schemaversion": [f"no upcaster from version {version} of {self.type}"]})
            data = upcaster(dict(data))
        return data


class EventRegistry:
    """Which event types a service knows, and how to turn them into domain objects and back."""

    def __init__(self):
        self._by_type: dict[str, EventSpec] = {}
        self._by_class: dict[type, EventSpec] = {}

    def register(self, type: str, event_class: type, schema: Schema, version: int = 1,
                 upcasters: Mapping[int, Upcaster] | None = None) -> EventSpec:
        if type in self._by_type:
            raise ValueError(f"event type {type} is registered twice")
        spec = EventSpec(type, event_class, schema, version, dict(upcasters or {}))
        self._by_type[type] = spec
        self._by_class[event_class] = spec
        return spec

    def __contains__(self, type: str) -> bool:
        return type in self._by_type

    @property
    def types(self) -> list[str]:
        return sorted(self._by_type)

    def spec(self, type: str) -> EventSpec:
        try:
            return self._by_type[type]
        except KeyError:
            raise PayloadError({"type": [f"unknown event type {type!r}"]}) from None

    def spec_of(self, domain_event: Any) -> EventSpec:
        try:
            return self._by_class[type(domain_event)]
        except KeyError:
            raise TypeError(f"{type(domain_event).__name__} is not a registered event") from None

    def serialize(self, domain_event: Any) -> tuple[str, dict, int]:
        """Domain event -> (type, JSON-ready data, schema version)."""
        spec = self.spec_of(domain_event)
        return spec.type, spec.schema.dump(domain_event), spec.version

    def validate(self, event: Event) -> Event:
        """Upcast an event's payload to the current version and check it; the event as current."""
        spec = self.spec(event.type)
        data = spec.upcast(dict(event.data), event.schema_version)
        errors = spec.schema.validate(data)
        if errors:
            raise PayloadError(flatten_messages(errors), prefix="data.")
        return event.replace(data=data, schema_version=spec.version)

    def to_domain(self, event: Event) -> Any:
        """Stored or received event -> the service's domain event object."""
        spec = self.spec(event.type)
        data = spec.upcast(dict(event.data), event.schema_version)
        loaded = load(spec.schema, data, prefix="data.")
        if dataclasses.is_dataclass(loaded):
            return loaded
        return spec.event_class(**loaded)


# -- helpers every service's schemas use --------------------------------------------------------
def lowercase_uuid(error: str = "a UUID in lower case") -> validate.Regexp:
    """Ids are lower-case UUIDs: one spelling per id, so the inbox and the store never see two."""
    return validate.Regexp(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", error=error)


class Makes(Schema):
    """Loads into ``make`` (a domain dataclass); lists become tuples, as the dataclasses hold."""

    make: type = dict

    @post_load
    def _make(self, data, **kwargs):
        return self.make(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
