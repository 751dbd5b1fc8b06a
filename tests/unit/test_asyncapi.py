"""The AsyncAPI document: checked in and current, every event type with its payload, the envelope as
the code reads it, and a structure AsyncAPI 3.0 tools accept (required keys, every $ref resolves)."""
from pathlib import Path

import pytest
import yaml
from marshmallow import Schema, fields

from shared import asyncapi
from shared.dependencies import EventSourced
from shared.events import EnvelopeError, Event, area_words, parse_cloudevent
from shared.handoff import HomeHandedOverSchema
from shared.recoding import AreaRecodedSchema
from shared.record_handoff import RecordHandedOverSchema
from shared.runner import installed_services, load_service
from shared.schemas import EventRegistry
from shared.topology import EVENTS_EXCHANGE

CHECKED_IN = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@pytest.fixture(scope="module")
def doc():
    return asyncapi.document()


def test_the_checked_in_document_is_current():
    assert CHECKED_IN.read_text(encoding="utf-8") == asyncapi.render(), (
        "docs/asyncapi.yaml is stale: run `python -m shared.asyncapi > docs/asyncapi.yaml` and commit it")


def test_the_output_is_the_same_each_time():
    assert asyncapi.render() == asyncapi.render()
    assert yaml.safe_load(asyncapi.render()) == asyncapi.document()


def registered_types() -> dict[str, Schema]:
    """Each installed service's event types as its class declares them, plus the kernel's
    hand-offs (HomeHandedOver, AreaRecoded)."""
    found = {}
    for name in installed_services():
        provider = next(v for v in vars(load_service(name)).values() if isinstance(v, EventSourced))
        found.update({t: provider.registry.spec(t).schema for t in provider.registry.types
                      if t.startswith(f"eldernet.{name}.")})
        found[f"eldernet.{name}.HomeHandedOver"] = HomeHandedOverSchema()
        found[f"eldernet.{name}.AreaRecoded"] = AreaRecodedSchema()
        found[f"eldernet.{name}.RecordHandedOver"] = RecordHandedOverSchema()
    return found


def resolve(doc: dict, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        assert part in node, f"{ref} does not resolve"
        node = node[part]
    return node


def test_every_registered_type_is_a_channel_with_its_payload_fields(doc):
    types = registered_types()
    assert {"eldernet.node.NodeStarted", "eldernet.registry.FacilityRegistered"} <= set(types)
    assert sorted(doc["channels"]) == sorted(types)
    for event_type, schema in types.items():
        channel = doc["channels"][event_type]
        assert channel["address"] == event_type + ".{area}"
        (message_ref,) = channel["messages"].values()
        message = resolve(doc, message_ref["$ref"])
        envelope_ref, typed = message["payload"]["allOf"]
        assert resolve(doc, envelope_ref["$ref"]) == doc["components"]["schemas"]["CloudEvent"]
        assert typed["properties"]["type"] == {"const": event_type}
        data = resolve(doc, typed["properties"]["data"]["$ref"])
        names = {field.data_key or name for name, field in schema.fields.items()}
        assert set(data["properties"]) == names, event_type
        assert set(data.get("required", [])) == {field.data_key or name for name, field in schema.fields.items()
                                                if field.required}, event_type


def test_nested_schemas_are_components_and_the_schema_version_is_noted(doc):
    registered = doc["components"]["schemas"]["registry.FacilityRegistered"]
    assert registered["properties"]["capacity"] == {"$ref": "#/components/schemas/registry.Capacity"}
    assert registered["properties"]["care_type"]["type"] == ["string", "null"]  # JSON Schema, not `nullable`
    message = doc["components"]["messages"]["eldernet.registry.FacilityRegistered"]
    assert message["x-eldernet-schemaversion"] == 1
    assert message["payload"]["allOf"][1]["properties"]["schemaversion"]["maximum"] == 1


def test_required_structure_and_every_reference_resolves(doc):
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["defaultContentType"] == "application/cloudevents+json"
    server = doc["servers"]["node"]
    assert server["protocol"] == "amqp" and server["host"]
    bindings = doc["components"]["channelBindings"]["events"]["amqp"]
    assert bindings["is"] == "routingKey" and bindings["exchange"]["name"] == EVENTS_EXCHANGE
    assert bindings["exchange"]["type"] == "topic"
    for operation_id, operation in doc["operations"].items():
        assert operation["action"] == "send"
        channel = resolve(doc, operation["channel"]["$ref"])
        for message in operation["messages"]:
            assert message["$ref"].startswith(operation["channel"]["$ref"] + "/messages/")
            assert resolve(doc, message["$ref"]) in channel["messages"].values()
    for message in doc["components"]["messages"].values():
        assert {"name", "contentType", "payload"} <= set(message)
    refs = list(references(doc))
    assert len(refs) > 100
    for ref in refs:
        resolve(doc, ref)


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def test_a_channel_address_is_the_routing_key_the_events_carry(doc):
    event = full_event()
    address = doc["channels"][event.type]["address"]
    assert address.replace("{area}", ".".join(area_words(event.area_code))) == event.routing_key


# -- the envelope as shared/events.py reads and writes it -----------------------------------------
def full_event() -> Event:
    from datetime import datetime, timezone
    return Event(type="eldernet.registry.FacilityRegistered", source="/eldernet/xinfu/registry", subject="facility-1",
                 data={"facility_id": "1"}, stream_id="facility-1", stream_version=1, origin_node="xinfu",
                 area_code="210402003001", origin_area="210402", correlation_id="c", causation_id="k",
                 recorded_time=datetime(2026, 11, 23, tzinfo=timezone.utc))


def test_the_envelope_has_every_attribute_an_event_carries(doc):
    envelope = doc["components"]["schemas"]["CloudEvent"]
    assert set(envelope["properties"]) == set(full_event().to_cloudevent())


@pytest.mark.parametrize("attribute", sorted(asyncapi.ATTRIBUTES))
def test_required_attributes_are_the_ones_the_code_requires(attribute):
    ce = full_event().to_cloudevent()
    del ce[attribute]
    if attribute in asyncapi.REQUIRED:
        with pytest.raises(EnvelopeError):
            parse_cloudevent(ce)
    else:
        parse_cloudevent(ce)


# -- finding the events ----------------------------------------------------------------------------
class Thing(Schema):
    """Something happened."""

    what = fields.String(required=True, data_key="what_happened")


def _sender_registry():
    registry = EventRegistry()
    registry.register("eldernet.sender.ThingHappened", dict, Thing())
    registry.register("eldernet.registry.FacilityRegistered", tuple, Thing())  # a type it consumes
    return registry


class SenderService:
    name = "sender"
    uow = EventSourced(registry=_sender_registry())


def test_a_service_documents_its_own_types_and_its_hand_offs_only():
    doc = asyncapi.document([f"{__name__}:SenderService"])
    assert sorted(doc["channels"]) == ["eldernet.sender.AreaRecoded", "eldernet.sender.HomeHandedOver",
                                       "eldernet.sender.RecordHandedOver",
                                       "eldernet.sender.ThingHappened"]
    message = doc["components"]["messages"]["eldernet.sender.ThingHappened"]
    assert "Something happened." in message["summary"] and "sender service" in message["summary"]
    assert doc["components"]["schemas"]["sender.Thing"]["required"] == ["what_happened"]
    assert SenderService.uow.registry.types == ["eldernet.registry.FacilityRegistered",
                                                "eldernet.sender.ThingHappened"]  # left as it was
