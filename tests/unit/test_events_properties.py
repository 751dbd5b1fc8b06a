"""Properties of the CloudEvents envelope, checked with hypothesis over arbitrary events."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.events import EXTENSIONS, EnvelopeError, Event, area_words, format_time, parse_time

# GB/T 2260 area codes have 2, 4, 6, 9 or 12 digits (province, city, district, town, village).
AREA_CODE_LENGTHS = {2: 1, 4: 2, 6: 3, 9: 4, 12: 5}  # length -> number of levels

# A day's margin at both ends keeps every timezone offset inside datetime's range in UTC.
MIN_NAIVE = datetime(1, 1, 2)
MAX_NAIVE = datetime(9998, 12, 30, 23, 59, 59, 999999)

cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
# Any Unicode text: every code point but lone surrogates, which are not text (they have their own test).
unicode_chars = st.characters(codec="utf-8")
any_text = st.one_of(st.text(), st.text(alphabet=cjk), st.text(alphabet=st.one_of(cjk, unicode_chars)))
non_empty = st.one_of(st.text(min_size=1), st.text(alphabet=cjk, min_size=1))
big_ints = st.one_of(st.integers(), st.integers(min_value=2**63, max_value=2**200),
                     st.integers(min_value=-2**200, max_value=-2**63))
json_scalars = st.one_of(st.none(), st.booleans(), big_ints,
                         st.floats(allow_nan=False, allow_infinity=False), any_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(any_text, children, max_size=4)),
    max_leaves=20)
json_objects = st.dictionaries(any_text, json_values, max_size=6)

area_codes = st.sampled_from(sorted(AREA_CODE_LENGTHS)).flatmap(
    lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n))

fixed_offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)))
any_timezone = st.one_of(st.just(timezone.utc), fixed_offsets, st.timezones())
aware_times = st.datetimes(min_value=MIN_NAIVE, max_value=MAX_NAIVE, timezones=any_timezone)

type_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", min_size=1, max_size=12)
event_types = st.lists(type_words, min_size=1, max_size=3).map(lambda words: "eldernet." + ".".join(words))

events = st.builds(
    Event,
    type=event_types,
    source=non_empty,
    subject=non_empty,
    data=json_objects,
    stream_id=non_empty,
    stream_version=st.integers(min_value=1, max_value=2**40),
    origin_node=non_empty,
    area_code=area_codes,
    id=non_empty,
    time=aware_times,
    correlation_id=st.none() | non_empty,
    causation_id=st.none() | non_empty,
    schema_version=st.integers(min_value=1, max_value=1000),
    recorded_time=st.none() | aware_times,
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(events)
def test_json_round_trip_is_equal(event):
    back = Event.from_json(event.to_json())
    # Compared in UTC: a local time in a DST fold or gap never compares equal across zones (PEP 495),
    # though it names one instant.
    in_utc = event.replace(time=event.time.astimezone(timezone.utc),
                           recorded_time=event.recorded_time and event.recorded_time.astimezone(timezone.utc))
    assert back == in_utc
    # Equal as instants, and carried in UTC with every microsecond.
    assert back.time.utcoffset() == timedelta(0)
    assert back.time.astimezone(timezone.utc).replace(tzinfo=None) == \
        event.time.astimezone(timezone.utc).replace(tzinfo=None)
    assert back.time.microsecond == event.time.astimezone(timezone.utc).microsecond
    if event.recorded_time is not None:
        assert back.recorded_time.utcoffset() == timedelta(0)
        assert back.recorded_time == event.recorded_time.astimezone(timezone.utc)
    # And a second trip changes nothing on the wire.
    assert back.to_json() == event.to_json()


@given(events)
def test_routing_key_is_the_type_then_one_word_per_area_level(event):
    key = event.routing_key
    assert key.startswith(event.type + ".")
    words = key[len(event.type) + 1:].split(".")
    assert len(words) == AREA_CODE_LENGTHS[len(event.area_code)]
    assert "".join(words) == event.area_code
    assert [len(w) for w in words] == [2, 2, 2, 3, 3][:len(words)]
    assert words == area_words(event.area_code)


# -- mutations of a valid CloudEvent ---------------------------------------------------------
OPTIONAL_ATTRIBUTES = {"datacontenttype", "correlationid", "causationid", "recordedtime"}

corrupt_values = st.one_of(
    st.none(), st.just(""), st.booleans(), st.integers(min_value=-3, max_value=3), st.floats(allow_nan=False),
    st.just([]), st.just({}), st.just([1, "两"]), st.just({"x": 1}), st.text(max_size=8),
    st.sampled_from(["garbage", "1.0", "0.3", "21040", "2026-11-23T08:30:00", "2026-11-23T08:30:00+08:00",
                     "application/xml", "com.example.Other"]),
)


@st.composite
def mutations(draw):
    event = draw(events)
    ce = event.to_cloudevent()
    attribute = draw(st.sampled_from(sorted(ce)))
    delete = draw(st.booleans())
    mutated = dict(ce)
    if delete:
        del mutated[attribute]
        value = None
    else:
        value = draw(corrupt_values)
        mutated[attribute] = value
    return ce, mutated, attribute, delete, value


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutations())
def test_a_mutated_cloudevent_round_trips_or_names_the_touched_attribute(mutation):
    original, mutated, attribute, deleted, value = mutation
    try:
        event = Event.from_cloudevent(mutated)
    except EnvelopeError as error:
        assert error.field == attribute, f"{attribute} was touched, but the error names {error.field}: {error}"
        return
    # Accepted: a required attribute cannot have been removed, ...
    if deleted or value is None:
        assert attribute in OPTIONAL_ATTRIBUTES, f"required attribute {attribute} removed, yet the event was accepted"
    again = event.to_cloudevent()
    # ... every untouched attribute is exactly as it was, ...
    for name, original_value in original.items():
        if name != attribute:
            assert again[name] == original_value, name
    # ... the touched one now says what the mutation said (or is gone), ...
    if deleted or value is None:
        if attribute == "datacontenttype":
            assert again[attribute] == "application/json"
        else:
            assert attribute not in again
    elif attribute in ("time", "recordedtime"):
        assert again[attribute] == format_time(parse_time(attribute, value))
    else:
        assert again[attribute] == value and type(again[attribute]) is type(value)
    # ... and the accepted event round-trips.
    assert Event.from_cloudevent(again) == event
    assert Event.from_json(event.to_json()) == event


# -- edges the generators above stay clear of ------------------------------------------------
def _event(**changes):
    fields = dict(type="eldernet.test.Noted", source="/eldernet/n1/test", subject="s-1", data={},
                  stream_id="s-1", stream_version=1, origin_node="n1", area_code="210402",
                  time=datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc))
    fields.update(changes)
    return Event(**fields)


@pytest.mark.parametrize("when", [datetime(999, 12, 31, 23, 59, tzinfo=timezone.utc),
                                  datetime(1, 1, 1, 12, 0, tzinfo=timezone.utc)])
def test_times_before_year_1000_are_four_digit_rfc3339_and_round_trip(when):
    # RFC 3339: date-fullyear = 4DIGIT. An Event accepts these times, so it must survive the wire.
    assert format_time(when)[:4].isdigit() and format_time(when)[4] == "-"
    event = _event(time=when)
    assert Event.from_json(event.to_json()) == event


@pytest.mark.parametrize("code", ["210402\n", "2104\n", "２１０４", "٢١٠٤٠٢", "21０4"])
def test_an_area_code_must_be_ascii_digits_only(code):
    # A trailing newline or non-ASCII digits would put odd words in routing keys (no binding
    # such as eldernet.x.21.04.# matches them) and overflow the 12-character store column.
    ce = _event().to_cloudevent()
    ce["areacode"] = code
    with pytest.raises(EnvelopeError) as error:
        Event.from_cloudevent(ce)
    assert error.value.field == "areacode"


# -- lone surrogates: not Unicode text, refused wherever they are, naming the attribute ------
TEXT_ATTRIBUTES = ["id", "source", "type", "subject", "data", "streamid", "originnode", "correlationid", "causationid"]
FIELD_OF = dict({"id": "id", "source": "source", "type": "type", "subject": "subject", "data": "data"}, **EXTENSIONS)
lone_surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.sampled_from(TEXT_ATTRIBUTES), lone_surrogates)
def test_a_lone_surrogate_on_the_wire_is_refused_naming_the_attribute(event, attribute, surrogate):
    ce = event.to_cloudevent()
    if attribute == "data":
        ce["data"] = dict(ce["data"], note=["ok", f"x{surrogate}"])
    else:
        ce[attribute] = f"{ce.get(attribute) or 'x'}{surrogate}"
    body = json.dumps(ce, ensure_ascii=True).encode()  # JSON spells it as an escape: \udXXX
    with pytest.raises(EnvelopeError) as error:
        Event.from_json(body)
    assert error.value.field == attribute


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(events, st.sampled_from(TEXT_ATTRIBUTES), lone_surrogates)
def test_an_event_with_a_lone_surrogate_cannot_be_sent_and_the_error_names_the_attribute(event, attribute, surrogate):
    field_name = FIELD_OF[attribute]
    if attribute == "data":
        bad = event.replace(data=dict(event.data, note=f"x{surrogate}"))
    else:
        bad = event.replace(**{field_name: f"{getattr(event, field_name) or 'x'}{surrogate}"})
    with pytest.raises(EnvelopeError) as error:
        bad.to_json()
    assert error.value.field == attribute, f"a lone surrogate in {attribute} is reported as {error.value.field}"
