from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.alerts.domain import alerts as a
from services.alerts.domain.escalation import EscalateAlert, escalation_id
from tests.unit.alerts.builders import SOS, T0, VILLAGE, minutes, raised, then

ACK = a.AcknowledgeAlert("al-1", "村医 李", "village", T0 + minutes(1))
RESOLVE = a.ResolveAlert("al-1", "村医 李", "village", "assisted", " fell in the yard, unhurt ", T0 + minutes(9))


def refused(history, command) -> Rejected:
    with pytest.raises(Rejected) as error:
        a.alert.run(history, command)
    return error.value


def test_a_raised_alert_waits_at_its_home_tier():
    [event] = raised()
    assert event == a.AlertRaised("al-1", "sos", "critical", "device", "btn-1", "el-1", None, VILLAGE, "village",
                                  minutes(2), T0)
    state = a.alert.fold([event])
    assert (state.status, state.tier, state.raised) == ("raised", "village", event)


@pytest.mark.parametrize("changes,field", [
    ({"kind": " "}, "kind"),
    ({"severity": "urgent"}, "severity"),
    ({"source": "phone"}, "source"),
    ({"source_ref": ""}, "source_ref"),
    ({"elder_id": None}, "elder_id"),
    ({"area_code": "21040200300"}, "area_code"),
    ({"home_tier": "province"}, "home_tier"),
    ({"area_code": "210402", "home_tier": "town"}, "home_tier"),
    ({"ack_within": minutes(0)}, "ack_within"),
])
def test_invalid_alerts_are_refused_naming_the_field(changes, field):
    assert refused([], replace(SOS, **changes)).field == field


def test_a_village_without_a_node_raises_at_its_town_and_a_facility_alert_needs_no_elder():
    [event] = raised(home_tier="town", elder_id=None, facility_id="f-1")
    assert (event.home_tier, event.facility_id) == ("town", "f-1")


def test_raising_the_same_alert_again_is_the_same_fact():
    assert a.alert.run(raised(), SOS)[1] == []


@pytest.mark.parametrize("command", [a.RecordRepeat("al-1", T0), ACK, RESOLVE, EscalateAlert("al-1", "town", T0)])
def test_nothing_happens_to_an_alert_never_raised(command):
    assert refused([], command).field == "alert_id"


def test_repeats_are_counted_until_it_is_resolved():
    history = then(then(raised(), a.RecordRepeat("al-1", T0)), a.RecordRepeat("al-1", T0))
    assert a.alert.fold(history).repeats == 2
    history = then(then(then(history, ACK), a.RecordRepeat("al-1", T0)), RESOLVE)
    assert a.alert.fold(history).repeats == 3
    assert "resolved" in refused(history, a.RecordRepeat("al-1", T0)).reason


def test_raised_acknowledged_resolved():
    history = then(raised(), ACK)
    assert a.alert.fold(history).status == "acknowledged"
    history = then(history, RESOLVE)
    state = a.alert.fold(history)
    assert state.status == "resolved" and state.resolved.outcome == "assisted"
    assert state.resolved.note == "fell in the yard, unhurt"


def test_an_escalated_alert_is_acknowledged_at_the_tier_it_reached_or_any_other():
    history = then(raised(), EscalateAlert("al-1", "town", T0 + minutes(2)))
    assert a.alert.fold(history).status == "escalated"
    for tier in ("village", "town", "city"):
        assert a.alert.fold(then(history, replace(ACK, tier=tier))).acknowledged.tier == tier


@pytest.mark.parametrize("changes,field", [({"by": " "}, "by"), ({"tier": "province"}, "tier")])
def test_who_acknowledges_and_where_is_required(changes, field):
    assert refused(raised(), replace(ACK, **changes)).field == field


def test_below_its_home_tier_no_one_holds_the_alert():
    assert refused(raised(area_code="210402003", home_tier="town"), ACK).field == "tier"


def test_an_alert_is_acknowledged_once():
    assert "already acknowledged" in refused(then(raised(), ACK), replace(ACK, by="王")).reason


def test_resolving_needs_an_acknowledgment_an_outcome_and_happens_once():
    assert "acknowledge" in refused(raised(), RESOLVE).reason
    assert refused(then(raised(), ACK), replace(RESOLVE, outcome="shrug")).field == "outcome"
    history = then(then(raised(), ACK), RESOLVE)
    for command in (RESOLVE, ACK, EscalateAlert("al-1", "town", T0 + minutes(60))):
        assert refused(history, command).reason == "the alert is resolved"


def test_an_escalation_is_due_at_its_deadline_and_dated_by_it():
    assert refused(raised(), EscalateAlert("al-1", "town", T0 + minutes(1.99))).field == "at"
    [event] = a.alert.run(raised(), EscalateAlert("al-1", "town", T0 + minutes(7)))[1]
    assert event == a.AlertEscalated("al-1", escalation_id("al-1", "town"), "village", "town", VILLAGE,
                                     "critical", T0 + minutes(2))


def test_an_escalation_goes_one_tier_at_a_time_and_once():
    assert refused(raised(), EscalateAlert("al-1", "district", T0 + minutes(60))).field == "to_tier"
    assert refused(raised(), EscalateAlert("al-1", "county", T0 + minutes(60))).field == "to_tier"
    history = then(raised(), EscalateAlert("al-1", "town", T0 + minutes(2)))
    assert a.alert.run(history, EscalateAlert("al-1", "town", T0 + minutes(3)))[1] == []


def test_an_acknowledged_alert_escalates_no_further():
    error = refused(then(raised(), ACK), EscalateAlert("al-1", "town", T0 + minutes(60)))
    assert error.field == "alert_id" and "no further" in error.reason


# Decisions of several nodes about one alert, as they may reach any of them.
NODE_EVENTS = [
    *raised(),
    a.AlertEscalated("al-1", escalation_id("al-1", "town"), "village", "town", VILLAGE, "critical", T0 + minutes(2)),
    a.AlertEscalated("al-1", escalation_id("al-1", "district"), "town", "district", VILLAGE, "critical",
                     T0 + minutes(4)),
    a.AlertAcknowledged("al-1", "村医 李", "village", T0 + minutes(1)),  # offline at the village
    a.AlertAcknowledged("al-1", "街道 张", "town", T0 + minutes(5)),
    a.AlertAcknowledged("al-1", "区 赵", "district", T0 + minutes(1)),  # a tie in time, broken by tier
    a.AlertResolved("al-1", "街道 张", "town", "assisted", "", T0 + minutes(9)),
    a.AlertResolved("al-1", "村医 李", "village", "false_alarm", "", T0 + minutes(8)),
    a.AlertRepeated("al-1", T0 + minutes(1)),
]


@given(st.permutations(NODE_EVENTS), st.lists(st.sampled_from(NODE_EVENTS[:-1]), max_size=5))
def test_every_node_folds_the_same_alert_whatever_the_order_and_the_copies(events, copies):
    state = a.alert.fold(events + copies)
    assert state == a.alert.fold(NODE_EVENTS)
    assert (state.tier, state.acknowledged.by, state.resolved.outcome, state.repeats) == \
           ("district", "村医 李", "false_alarm", 1)
