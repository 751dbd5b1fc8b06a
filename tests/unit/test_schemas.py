from dataclasses import dataclass

import pytest
from marshmallow import Schema, fields, post_load, validate

from shared.events import Event
from shared.schemas import EventRegistry, PayloadError, load


@dataclass(frozen=True)
class BedsChanged:
    facility_id: str
    general_beds: int
    nursing_beds: int


class AddressSchema(Schema):
    street = fields.String(required=True)


class BedsChangedSchema(Schema):
    facility_id = fields.String(required=True)
    general_beds = fields.Integer(required=True, validate=validate.Range(min=0))
    nursing_beds = fields.Integer(required=True, validate=validate.Range(min=0))

    @post_load
    def make(self, data, **kwargs):
        return BedsChanged(**data)


def v1_to_v2(data):
    # Version 1 had one "beds" figure; version 2 splits it, counting none as nursing-type.
    data["general_beds"] = data.pop("beds")
    data["nursing_beds"] = 0
    return data


@pytest.fixture
def registry():
    registry = EventRegistry()
    registry.register("eldernet.registry.BedsChanged", BedsChanged, BedsChangedSchema(), version=2,
                      upcasters={1: v1_to_v2})
    return registry


def event(data, version=2):
    return Event(type="eldernet.registry.BedsChanged", source="/eldernet/x/registry", subject="facility-1",
                 data=data, stream_id="facility-1", stream_version=1, origin_node="x", area_code="210402",
                 schema_version=version)


def test_serialize_and_back(registry):
    type_, data, version = registry.serialize(BedsChanged("f1", 100, 60))
    assert (type_, version) == ("eldernet.registry.BedsChanged", 2)
    assert registry.to_domain(event(data)) == BedsChanged("f1", 100, 60)


def test_old_versions_are_upcast(registry):
    old = event({"facility_id": "f1", "beds": 80}, version=1)
    assert registry.to_domain(old) == BedsChanged("f1", 80, 0)
    assert registry.validate(old).schema_version == 2


def test_errors_name_the_field(registry):
    with pytest.raises(PayloadError) as error:
        registry.validate(event({"facility_id": "f1", "general_beds": -1}))
    assert set(error.value.fields) == {"data.general_beds", "data.nursing_beds"}
    assert "data.general_beds" in str(error.value)


def test_a_newer_version_than_known_is_refused_clearly(registry):
    with pytest.raises(PayloadError, match="newer than this service knows"):
        registry.validate(event({"facility_id": "f1"}, version=3))


def test_unknown_type_is_refused(registry):
    with pytest.raises(PayloadError, match="unknown event type"):
        registry.validate(event({}).replace(type="eldernet.registry.Nope"))


def test_nested_errors_are_flattened():
    class Body(Schema):
        address = fields.Nested(AddressSchema, required=True)
    with pytest.raises(PayloadError) as error:
        load(Body(), {"address": {}})
    assert error.value.fields == ["address.street"]
    with pytest.raises(PayloadError) as error:
        load(Body(), ["not", "an", "object"])
    assert error.value.fields == ["_schema"]


def test_a_type_cannot_be_registered_twice(registry):
    with pytest.raises(ValueError):
        registry.register("eldernet.registry.BedsChanged", BedsChanged, BedsChangedSchema())


def test_text_that_is_not_unicode_is_refused_naming_the_field():
    with pytest.raises(PayloadError) as error:
        load(BedsChangedSchema(), {"facility_id": "f\ud800", "general_beds": 1, "nursing_beds": 1})
    assert error.value.fields == ["facility_id"]
