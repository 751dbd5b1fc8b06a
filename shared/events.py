"""The eldernet event envelope: CloudEvents 1.0 attributes plus eldernet's extensions.

An event is immutable data. ``source`` + ``id`` is its identity across the whole network
(the dedupe key of every inbox). ``time`` is when the fact happened in the world; the
``recordedtime`` extension is when a store first recorded it (a village that was offline
for a week records late, and billing needs both).

Wire form: CloudEvents *structured mode*, a JSON object in the message body with content
type ``application/cloudevents+json`` (see docs/events.md for why we chose it over headers).
"""
from __future__ import annotations

import dataclasses
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
DATA_CONTENT_TYPE = "application/json"
TYPE_PREFIX = "eldernet."

# CloudEvents attribute name -> Event field name, for eldernet's extension attributes.
# Extension names must be lowercase ASCII letters or digits (CloudEvents 1.0, "Attribute Naming").
EXTENSIONS = {
    "streamid": "stream_id",
    "streamversion": "stream_version",
    "originnode": "origin_node",
    # The area of the origin node: a parent checks that what a child forwards was recorded in
    # that child's subtree (tiered sync), without a directory of every node in the network.
    "originarea": "origin_area",
    "areacode": "area_code",
    "correlationid": "correlation_id",
    "causationid": "causation_id",
    "schemaversion": "schema_version",
    "recordedtime": "recorded_time",
}

_AREA_CODE = re.compile(r"[0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}")  # ASCII digits only
# Digits of each level of a GB/T 2260 / statistics-bureau area code: province, city,
# county/district, town/street, village/community.
AREA_LEVEL_WIDTHS = (2, 2, 2, 3, 3)


class EnvelopeError(ValueError):
    """A message is not a valid eldernet event; ``field`` names the offending attribute."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_event_id() -> str:
    return str(uuid.uuid4())


def is_area_code(code: str) -> bool:
    return isinstance(code, str) and _AREA_CODE.fullmatch(code) is not None


def area_words(area_code: str) -> list[str]:
    """Split an area code into its levels: '210402' -> ['21', '04', '02']."""
    words, start = [], 0
    for width in AREA_LEVEL_WIDTHS:
        if start >= len(area_code):
            break
        words.append(area_code[start:start + width])
        start += width
    return words


@dataclass(frozen=True)
class Event:
    """One stored or received eldernet event (a CloudEvent with eldernet's extensions)."""

    type: str
    source: str
    subject: str
    data: Mapping[str, Any]
    stream_id: str
    stream_version: int
    origin_node: str
    area_code: str
    id: str = field(default_factory=new_event_id)
    time: datetime = field(default_factory=utcnow)
    correlation_id: str | None = None
    causation_id: str | None = None
    schema_version: int = 1
    recorded_time: datetime | None = None
    origin_area: str | None = None
    # The position in the store that holds this copy; local to one store, never on the wire.
    position: int | None = None

    def __post_init__(self):
        _check_aware("time", self.time)
        if self.recorded_time is not None:
            _check_aware("recordedtime", self.recorded_time)

    @property
    def key(self) -> tuple[str, str]:
        """The network-wide identity of the event (CloudEvents: source + id)."""
        return (self.source, self.id)

    @property
    def routing_key(self) -> str:
        """Topic routing key: the type, then the area code's levels as words.

        ``eldernet.booking.BookingDelivered.21.04.02.001.002`` lets a subscriber bind
        ``eldernet.booking.BookingDelivered.21.04.02.#`` for one district.
        """
        return ".".join([self.type, *area_words(self.area_code)])

    def replace(self, **changes) -> "Event":
        return dataclasses.replace(self, **changes)

    # -- CloudEvents structured mode ---------------------------------------------------------
    def to_cloudevent(self) -> dict[str, Any]:
        ce = {
            "specversion": SPECVERSION,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": format_time(self.time),
            "datacontenttype": DATA_CONTENT_TYPE,
            "data": dict(self.data),
        }
        for attribute, name in EXTENSIONS.items():
            value = getattr(self, name)
            if value is None:
                continue
            ce[attribute] = format_time(value) if isinstance(value, datetime) else value
        return ce

    def to_json(self) -> bytes:
        text = json.dumps(self.to_cloudevent(), ensure_ascii=False, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            _refuse_lone_surrogates(self.to_cloudevent())  # raises, naming the attribute
            raise

    @classmethod
    def from_cloudevent(cls, ce: Mapping[str, Any]) -> "Event":
        return cls(**parse_cloudevent(ce))

    @classmethod
    def from_json(cls, body: bytes | str) -> "Event":
        try:
            ce = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise EnvelopeError("body", f"not JSON ({exc})") from None
        if not isinstance(ce, dict):
            raise EnvelopeError("body", "a CloudEvent must be a JSON object")
        if _LONE_SURROGATE_ESCAPE.search(body if isinstance(body, str) else body.decode("utf-8", "replace")):
            _refuse_lone_surrogates(ce)
        return cls.from_cloudevent(ce)


# JSON may spell a lone UTF-16 surrogate as an escape (\\ud800); such text is not Unicode, cannot be
# stored (PostgreSQL's JSONB and UTF-8 refuse it) and would poison every reader downstream.
_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _refuse_lone_surrogates(ce: Mapping[str, Any]) -> None:
    """Only called when the body has a surrogate escape: a valid pair is fine, a lone one is not."""
    for name, value in ce.items():
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise EnvelopeError(name, "contains text that is not valid Unicode (a lone surrogate)") from None


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. 2026-11-23T08:00:00.000000Z (always 4-digit years)."""
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(field_name: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise EnvelopeError(field_name, "must be an RFC 3339 timestamp string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise EnvelopeError(field_name, f"not an RFC 3339 timestamp: {value!r}") from None
    _check_aware(field_name, parsed)
    return parsed.astimezone(timezone.utc)


def _check_aware(field_name: str, value: datetime) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise EnvelopeError(field_name, "must be a timezone-aware timestamp (naive times are ambiguous)")


def _required_str(ce: Mapping[str, Any], name: str) -> str:
    value = ce.get(name)
    if not isinstance(value, str) or not value:
        raise EnvelopeError(name, "required non-empty string" if value is None else "must be a non-empty string")
    return value


def _required_int(ce: Mapping[str, Any], name: str, minimum: int) -> int:
    value = ce.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EnvelopeError(name, "required integer")
    if value < minimum:
        raise EnvelopeError(name, f"must be >= {minimum}")
    return value


def _optional_str(ce: Mapping[str, Any], name: str) -> str | None:
    value = ce.get(name)
    if value is not None and not isinstance(value, str):
        raise EnvelopeError(name, "must be a string")
    return value


def parse_cloudevent(ce: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a structured CloudEvent and return the Event constructor's arguments."""
    if ce.get("specversion") != SPECVERSION:
        raise EnvelopeError("specversion", f"must be {SPECVERSION!r}, got {ce.get('specversion')!r}")
    content_type = ce.get("datacontenttype", DATA_CONTENT_TYPE)
    if content_type != DATA_CONTENT_TYPE:
        raise EnvelopeError("datacontenttype", f"must be {DATA_CONTENT_TYPE!r}")
    event_type = _required_str(ce, "type")
    if not event_type.startswith(TYPE_PREFIX):
        raise EnvelopeError("type", f"must start with {TYPE_PREFIX!r}")
    data = ce.get("data")
    if not isinstance(data, dict):
        raise EnvelopeError("data", "required JSON object")
    area_code = _required_str(ce, "areacode")
    if not is_area_code(area_code):
        raise EnvelopeError("areacode", f"not a GB/T 2260 area code (2, 4, 6, 9 or 12 digits): {area_code!r}")
    recorded = ce.get("recordedtime")
    origin_area = _optional_str(ce, "originarea")
    if origin_area is not None and not is_area_code(origin_area):
        raise EnvelopeError("originarea", f"not a GB/T 2260 area code: {origin_area!r}")
    return dict(
        id=_required_str(ce, "id"),
        source=_required_str(ce, "source"),
        type=event_type,
        subject=_required_str(ce, "subject"),
        time=parse_time("time", ce.get("time")),
        data=data,
        stream_id=_required_str(ce, "streamid"),
        stream_version=_required_int(ce, "streamversion", 1),
        origin_node=_required_str(ce, "originnode"),
        area_code=area_code,
        origin_area=origin_area,
        correlation_id=_optional_str(ce, "correlationid"),
        causation_id=_optional_str(ce, "causationid"),
        schema_version=_required_int(ce, "schemaversion", 1),
        recorded_time=None if recorded is None else parse_time("recordedtime", recorded),
    )
