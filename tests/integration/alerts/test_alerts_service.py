"""The alerts service on one village node with the real broker: a device's signal raises an alert,
a burst collapses into it, it is acknowledged and resolved; signals arrive on AMQP and a bad one is
dead-lettered with its reason; an alert nobody acknowledges escalates by the node's own timer and
the webhook is told."""
from datetime import datetime, timedelta, timezone

import pytest

from shared.aggregate import Rejected
from shared.topology import DEAD_REASON_HEADER, DEAD_STAGE_HEADER
from services.alerts.service import AlertsService
from tests.integration.alerts.builders import VILLAGE, Webhook, publish, register, signal, village_config
from tests.support.broker import get_all, wait_for
from tests.support.nodes import call, store_of

DLQ = "eldernet.alerts.on_signal.dlq"


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def village(container_factory, node_config, webhook):
    """A village node whose checks never fire by themselves: the test runs them with its own clock."""
    config = village_config(node_config, check_interval=3600,
                            notifiers=[{"kind": "log"}, {"kind": "webhook", "url": webhook.url}])
    container = container_factory(AlertsService, config)
    container.start()
    return container


def alerts_of(container, **filters):
    return call(container, "list_alerts", filters.get("area_code"), filters.get("status"))


def test_a_burst_of_sos_presses_is_one_alert_acknowledged_then_resolved(village, webhook):
    register(village, "btn-1")
    t0 = datetime.now(timezone.utc)
    first = call(village, "signal", signal("btn-1", at=t0))
    [alarm] = first["alarms"]
    assert (alarm["kind"], alarm["severity"], alarm["outcome"]) == ("sos", "critical", "raise")
    assert call(village, "signal", signal("btn-1", at=t0))["alarms"][0]["outcome"] == "ignore"  # a gateway's retry
    for n in (1, 2, 3):
        repeat = call(village, "signal", signal("btn-1", at=t0 + timedelta(seconds=n)))
        assert repeat["alarms"][0]["outcome"] == "repeat"
    [open_alert] = alerts_of(village)
    assert (open_alert["alert_id"], open_alert["status"], open_alert["tier"], open_alert["repeats"]) == \
           (alarm["alert_id"], "raised", "village", 3)
    assert open_alert["elder_id"] == "elder-1" and open_alert["area_code"] == VILLAGE

    acked = call(village, "acknowledge", alarm["alert_id"], "村医 李")
    assert (acked["status"], acked["acked_by"], acked["acked_tier"]) == ("acknowledged", "村医 李", "village")
    with pytest.raises(Rejected):
        call(village, "acknowledge", alarm["alert_id"], "someone else")
    resolved = call(village, "resolve", alarm["alert_id"], {"by": "村医 李", "outcome": "assisted", "note": "helped up"})
    assert (resolved["status"], resolved["outcome"]) == ("resolved", "assisted")
    assert alerts_of(village) == []

    # The alarm still sounding just after: the burst's tail. Well after the window: a new alert.
    assert call(village, "signal", signal("btn-1", at=t0 + timedelta(seconds=60)))["alarms"][0]["outcome"] == "ignore"
    again = call(village, "signal", signal("btn-1", at=t0 + timedelta(minutes=20)))["alarms"][0]
    assert again["outcome"] == "raise" and again["alert_id"] != alarm["alert_id"]
    # The webhook was told of each new alert once (never of repeats).
    wait_for(lambda: len(webhook.of("raised")) == 2, message="two raised notices")
    assert {n["alert_id"] for n in webhook.of("raised")} == {alarm["alert_id"], again["alert_id"]}


def test_a_belts_readings_out_of_range_raise_their_own_alerts(village):
    register(village, "belt-1", device_type="monitoring_belt")
    answer = call(village, "signal", signal("belt-1", kind="vitals", heart_rate=132, still_minutes=5))
    assert [(a["kind"], a["outcome"]) for a in answer["alarms"]] == [("heart_rate_out_of_range", "raise")]
    assert call(village, "signal", signal("belt-1", kind="vitals", heart_rate=80))["alarms"] == []
    with pytest.raises(Rejected) as refused:  # a smoke detector's kind from a belt
        call(village, "signal", signal("belt-1", kind="smoke"))
    assert refused.value.field == "kind"


def test_signals_on_amqp_and_a_bad_message_dead_lettered_with_its_reason(village, amqp_uri):
    register(village, "smoke-1", device_type="smoke_detector", elder_id=None, facility_id="fac-1")
    publish(amqp_uri, signal("smoke-1", kind="smoke"))
    [alert] = wait_for(lambda: alerts_of(village), message="the smoke alarm's alert")
    assert (alert["kind"], alert["facility_id"], alert["severity"]) == ("smoke", "fac-1", "critical")

    publish(amqp_uri, b"{not json")
    publish(amqp_uri, {"device_id": "smoke-1", "kind": "smoke", "at": "yesterday"})
    publish(amqp_uri, signal("no-such-device"))
    parked = wait_for(lambda: _all_parked(amqp_uri, 3), message="three messages dead-lettered")
    by_stage = {m.headers[DEAD_STAGE_HEADER]: m.headers[DEAD_REASON_HEADER] for m in parked}
    assert set(by_stage) == {"parse", "validate", "refused"}
    assert by_stage["validate"].startswith("at:")
    assert by_stage["refused"].startswith("device_id:")
    assert len(alerts_of(village)) == 1  # nothing else was stored


_parked = []


def _all_parked(amqp_uri, n):
    _parked.extend(get_all(amqp_uri, DLQ))
    return list(_parked) if len(_parked) >= n else None


def test_an_sos_nobody_acknowledges_escalates_at_its_deadline(village, webhook):
    register(village, "btn-2")
    raised_at = datetime.now(timezone.utc)
    [alarm] = call(village, "signal", signal("btn-2", at=raised_at))["alarms"]
    alert = call(village, "get_alert", alarm["alert_id"])
    deadline = datetime.fromisoformat(alert["raised_at"]) + timedelta(minutes=2)  # the default critical limit

    assert call(village, "check", (deadline - timedelta(seconds=1)).isoformat())["escalated"] == []
    [escalation] = call(village, "check", deadline.isoformat())["escalated"]
    after = call(village, "get_alert", alarm["alert_id"])
    assert (after["status"], after["tier"], after["reached"]) == ("escalated", "town", "town")
    # A village node decides only up to its parent: the district is the town's to escalate to.
    assert call(village, "check", (deadline + timedelta(hours=1)).isoformat())["escalated"] == []
    events = [e.type.rsplit(".", 1)[1] for e in store_of(village).read_stream(f"alert-{alarm['alert_id']}")]
    assert events == ["AlertRaised", "AlertEscalated"]
    # The village is told that it went up (from its tier), once.
    [told] = wait_for(lambda: webhook.of("escalated"), message="the escalation notice")
    assert (told["key"], told["tier"], told["from_tier"]) == (escalation, "town", "village")


def test_a_webhook_that_is_down_is_told_again_at_the_next_check(container_factory, node_config):
    down_once = Webhook(failing=1)
    config = village_config(node_config, check_interval=3600, notifiers=[{"kind": "webhook", "url": down_once.url}])
    village = container_factory(AlertsService, config)
    village.start()
    try:
        register(village, "btn-4")
        [alarm] = call(village, "signal", signal("btn-4"))["alarms"]
        wait_for(lambda: down_once.attempts == 1, message="the first attempt")
        assert down_once.received == []
        call(village, "check")  # the next check tells what is pending
        [told] = wait_for(lambda: down_once.of("raised"), message="the notice told at the next check")
        assert told["alert_id"] == alarm["alert_id"] and down_once.attempts == 2
    finally:
        down_once.close()


def test_the_timer_escalates_by_itself_with_a_short_limit(container_factory, node_config):
    config = village_config(node_config, check_interval=0.2, limits={"critical": 1})
    village = container_factory(AlertsService, config)
    village.start()
    register(village, "btn-3")
    [alarm] = call(village, "signal", signal("btn-3"))["alarms"]
    wait_for(lambda: call(village, "get_alert", alarm["alert_id"])["status"] == "escalated", timeout=20,
             message="the timer's escalation")
