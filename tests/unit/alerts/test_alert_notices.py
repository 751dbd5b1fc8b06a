from services.alerts.domain import alerts as a
from services.alerts.domain.escalation import EscalateAlert, escalation_id
from services.alerts.domain.notices import notice_for
from tests.unit.alerts.builders import T0, VILLAGE, minutes, raised, then

[RAISED] = raised()
TO_TOWN = a.AlertEscalated("al-1", escalation_id("al-1", "town"), "village", "town", VILLAGE, "critical",
                           T0 + minutes(2))


def test_a_new_alert_is_told_to_its_home_tier():
    notice = notice_for(a.Alert(), RAISED)
    assert (notice.key, notice.what, notice.tier, notice.severity, notice.elder_id) == \
           ("al-1", "raised", "village", "critical", "el-1")
    assert notice_for(a.alert.fold([RAISED]), RAISED) is None  # a second copy


def test_an_escalation_is_told_once_to_the_tier_it_reached_naming_the_tier_it_left():
    notice = notice_for(a.alert.fold([RAISED]), TO_TOWN)
    assert (notice.key, notice.what, notice.tier, notice.from_tier, notice.kind, notice.at) == \
           (TO_TOWN.escalation_id, "escalated", "town", "village", "sos", T0 + minutes(2))
    assert notice_for(a.alert.fold([RAISED, TO_TOWN]), TO_TOWN) is None


def test_an_escalation_of_an_acknowledged_alert_is_told_to_no_one():
    history = then([RAISED], a.AcknowledgeAlert("al-1", "李", "village", T0 + minutes(1)))
    assert notice_for(a.alert.fold(history), TO_TOWN) is None
    assert notice_for(a.Alert(), TO_TOWN) is None  # nothing to say before the alert itself arrives


def test_other_events_call_for_no_notice():
    history = then([RAISED], EscalateAlert("al-1", "town", T0 + minutes(2)))
    assert notice_for(a.alert.fold(history), a.AlertRepeated("al-1", T0)) is None
