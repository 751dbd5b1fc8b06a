from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.alerts.domain import alerts as a
from services.alerts.domain.escalation import (DEFAULT_LIMITS, EscalateAlert, ack_within, due, escalation_id,
                                               streams, writer_stream)
from services.alerts.domain.tiers import TIERS, rank
from tests.unit.alerts.builders import SOS, T0, minutes, raised, then


def escalate(history, now, node_tier):
    """What a node at ``node_tier`` decides at ``now``: its due escalations, applied in order."""
    for command in due(a.alert.fold(history), now, node_tier):
        history = then(history, command)
    return history


def tiers_to(history, now, node_tier):
    return [command.to_tier for command in due(a.alert.fold(history), now, node_tier)]


def test_limits_by_severity_default_and_configured():
    assert [ack_within(s) for s in ("critical", "high", "medium", "low")] == \
           [minutes(2), minutes(10), minutes(30), minutes(120)]
    assert ack_within("high", {"high": minutes(5)}) == minutes(5)
    assert ack_within("low", {"high": minutes(5)}) == DEFAULT_LIMITS["low"]
    with pytest.raises(Rejected) as error:
        ack_within("urgent")
    assert error.value.field == "severity"
    with pytest.raises(Rejected) as error:
        ack_within("critical", {"critical": timedelta(0)})
    assert error.value.field == "limits.critical"


def test_an_sos_not_acknowledged_climbs_one_tier_per_limit_up_to_the_city():
    assert tiers_to(raised(), T0 + minutes(1.99), "city") == []
    assert tiers_to(raised(), T0 + minutes(2), "city") == ["town"]
    assert tiers_to(raised(), T0 + minutes(4), "city") == ["town", "district"]
    assert tiers_to(raised(), T0 + minutes(6), "city") == ["town", "district", "city"]
    history = escalate(raised(), T0 + timedelta(days=3), "city")
    assert tiers_to(history, T0 + timedelta(days=30), "city") == []
    assert [(e.from_tier, e.to_tier, e.at) for e in history[1:]] == [
        ("village", "town", T0 + minutes(2)), ("town", "district", T0 + minutes(4)),
        ("district", "city", T0 + minutes(6))]


def test_an_alert_homed_higher_starts_higher():
    facility = raised(area_code="210402", home_tier="district", severity="low", ack_within=ack_within("low"))
    assert tiers_to(facility, T0 + minutes(119), "city") == []
    assert tiers_to(facility, T0 + timedelta(days=1), "city") == ["city"]


def test_a_node_decides_up_to_its_parent_not_above():
    assert tiers_to(raised(), T0 + minutes(60), "village") == ["town"]
    assert tiers_to(raised(), T0 + minutes(60), "town") == ["town", "district"]
    assert tiers_to(raised(), T0 + minutes(60), "district") == ["town", "district", "city"]


def test_an_acknowledgment_at_the_town_stops_the_escalation_to_the_district():
    history = escalate(raised(), T0 + minutes(2), "village")
    assert a.alert.fold(history).tier == "town"
    history = then(history, a.AcknowledgeAlert("al-1", "街道 张", "town", T0 + minutes(3)))
    assert due(a.alert.fold(history), T0 + minutes(60), "city") == []
    with pytest.raises(Rejected):
        a.alert.run(history, EscalateAlert("al-1", "district", T0 + minutes(60)))
    assert a.alert.fold(history).tier == "town"


def test_the_village_sees_it_was_escalated():
    [event] = escalate(raised(), T0 + minutes(2), "village")[1:]
    assert (event.from_tier, event.to_tier, event.area_code) == ("village", "town", SOS.area_code)


def test_two_nodes_deciding_the_same_escalation_decide_the_same_event():
    at_village = escalate(raised(), T0 + minutes(2) + timedelta(seconds=5), "village")[-1]
    at_town = escalate(raised(), T0 + minutes(2) + timedelta(seconds=40), "town")[1]
    assert at_village == at_town and at_village.escalation_id == escalation_id("al-1", "town")
    assert escalation_id("al-1", "town") != escalation_id("al-1", "district") != escalation_id("al-2", "district")
    both = a.alert.fold(raised() + [at_village, at_town])
    assert both == a.alert.fold(raised() + [at_town])


def test_the_town_escalates_by_itself_while_the_village_is_cut_off():
    """The town holds the SOS (synced up before the cut); the village acknowledged it offline, too late."""
    at_town = escalate(raised(), T0 + minutes(4), "town")
    assert a.alert.fold(at_town).tier == "district"
    village_ack = a.AlertAcknowledged("al-1", "村医 李", "village", T0 + minutes(5))
    merged = a.alert.fold(at_town + [village_ack])
    assert (merged.status, merged.tier) == ("acknowledged", "district")
    assert due(merged, T0 + minutes(60), "town") == []


def test_each_node_writes_its_own_stream_of_the_alert():
    assert writer_stream("al-1", "village", "village") == a.alert.stream_id("al-1") == "alert-al-1"
    assert writer_stream("al-1", "village", "town") == "alert-al-1.town"
    assert streams("al-1", "village") == ["alert-al-1", "alert-al-1.town", "alert-al-1.district", "alert-al-1.city"]
    assert streams("al-1", "district") == ["alert-al-1", "alert-al-1.city"]


checks = st.lists(st.tuples(st.integers(0, 400), st.sampled_from(TIERS)), max_size=12)


@given(checks, st.one_of(st.none(), st.integers(0, 2000)))
def test_escalation_is_monotone_stops_at_the_city_and_at_an_acknowledgment(checks, ack_after):
    """Nodes of any tier check at any times (gaps in seconds); maybe someone acknowledges on the way."""
    history, now, previous, acked = raised(), T0, rank("village"), False
    for gap, node_tier in checks:
        now += timedelta(seconds=gap)
        if ack_after is not None and not acked and now >= T0 + timedelta(seconds=ack_after):
            history, acked = then(history, a.AcknowledgeAlert("al-1", "someone", "town", now)), True
        before = len(history)
        history = escalate(history, now, node_tier)
        assert not (acked and len(history) > before)
        tier = rank(a.alert.fold(history).tier)
        assert previous <= tier <= rank("city")
        previous = tier
    for event in (event for event in history if isinstance(event, a.AlertEscalated)):
        assert event.at == T0 + minutes(2) * rank(event.to_tier) and event.at <= now


@given(st.lists(st.integers(0, 400), max_size=8))
def test_when_nodes_check_does_not_change_what_they_decide(gaps):
    history, now = raised(), T0
    for gap in gaps:
        now += timedelta(seconds=gap)
        history = escalate(history, now, "city")
    end = max(now, T0 + minutes(60))
    assert escalate(history, end, "city") == escalate(raised(), end, "city")
