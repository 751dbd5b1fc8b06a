import re
from datetime import datetime, timezone

import pytest

from shared.events import EXTENSIONS, EnvelopeError, Event, area_words, format_time


def make_event(**changes):
    base = dict(type="eldernet.registry.FacilityRegistered", source="/eldernet/xinfu/registry",
                subject="facility-1", data={"name": "新抚区养老院", "beds": 120},
                stream_id="facility-1", stream_version=3, origin_node="xinfu", origin_area="210402", area_code="210402001002",
                time=datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc), correlation_id="c-1",
                causation_id="e-0", schema_version=2,
                recorded_time=datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc))
    base.update(changes)
    return Event(**base)


def test_structured_json_round_trip_keeps_every_attribute():
    event = make_event()
    assert Event.from_json(event.to_json()) == event


def test_cloudevent_has_the_required_attributes_and_valid_extension_names():
    ce = make_event().to_cloudevent()
    for attribute in ("id", "source", "specversion", "type", "subject", "time", "datacontenttype", "data"):
        assert attribute in ce
    assert ce["specversion"] == "1.0"
    for name in EXTENSIONS:
        assert re.fullmatch(r"[a-z0-9]{1,20}", name), name
        assert name in ce
    assert ce["time"] == "2026-11-23T08:30:00.000000Z"


def test_happened_time_and_recorded_time_are_both_kept():
    event = Event.from_json(make_event().to_json())
    assert event.time < event.recorded_time


@pytest.mark.parametrize("attribute", ["id", "source", "type", "subject", "streamid", "originnode", "areacode"])
def test_a_missing_attribute_is_named(attribute):
    ce = make_event().to_cloudevent()
    del ce[attribute]
    with pytest.raises(EnvelopeError) as error:
        Event.from_cloudevent(ce)
    assert error.value.field == attribute


@pytest.mark.parametrize("attribute,value", [
    ("specversion", "0.3"), ("areacode", "21040"), ("areacode", "abc"), ("time", "yesterday"),
    ("time", "2026-11-23T08:30:00"), ("streamversion", "3"), ("streamversion", 0), ("data", [1, 2]),
    ("type", "com.example.Other"), ("schemaversion", True),
])
def test_a_bad_attribute_is_named(attribute, value):
    ce = make_event().to_cloudevent()
    ce[attribute] = value
    with pytest.raises(EnvelopeError) as error:
        Event.from_cloudevent(ce)
    assert error.value.field == attribute


@pytest.mark.parametrize("body", [b"", b"not json", b"[1,2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(body):
    with pytest.raises(EnvelopeError) as error:
        Event.from_json(body)
    assert error.value.field == "body"


def test_naive_times_are_refused():
    with pytest.raises(EnvelopeError):
        make_event(time=datetime(2026, 11, 23, 8, 30))


def test_routing_key_spells_the_area_levels_as_words():
    assert area_words("210402001002") == ["21", "04", "02", "001", "002"]
    assert make_event().routing_key == "eldernet.registry.FacilityRegistered.21.04.02.001.002"
    assert make_event(area_code="2104").routing_key == "eldernet.registry.FacilityRegistered.21.04"


def test_times_are_shown_in_utc():
    from datetime import timedelta
    beijing = timezone(timedelta(hours=8))
    assert format_time(datetime(2026, 11, 23, 16, 30, tzinfo=beijing)) == "2026-11-23T08:30:00.000000Z"
