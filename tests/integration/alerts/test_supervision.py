"""A supervision rule on a real booking stream: one node running the registry, booking and alerts on
the real broker. A booking confirmed for a day that passes without a delivery is found by the
"confirmed bookings not delivered" rule (with the area's threshold from the config) and raises an
alert; the rule run again finds nothing new; a cancelled booking is never found."""
from datetime import date, datetime, time, timedelta

import pytest

from services.alerts.domain.supervision import CHINA
from services.alerts.service import AlertsService
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, days_ahead, register_elders, register_facility
from tests.support.broker import wait_for
from tests.support.nodes import call, store_of

AREA = "210402003"


@pytest.fixture
def node(container_factory, node_config):
    """(registry, booking, alerts): the consumers start before the registry publishes anything; the
    town's grace for a missing delivery is set to 3 days (the default is 1)."""
    config = {**node_config, "ELDERNET": {**node_config["ELDERNET"], "alerts": {
        "check_interval": 3600, "supervision": {AREA: {"undelivered_grace_days": 3}}}}}
    alerts = container_factory(AlertsService, config)
    booking = container_factory(BookingService, config)
    registry = container_factory(RegistryService, config)
    for container in (alerts, booking, registry):
        container.start()
    call(registry, "import_areas", TREE)
    return registry, booking, alerts


def stay(facility_id, elder_id, first):
    return {"elder_id": elder_id, "facility_id": facility_id, "service": "respite_care",
            "when": {"day": days_ahead(first), "until": days_ahead(first + 2)}}


def facts(alerts):
    with store_of(alerts).engine.connect() as conn:
        rows = conn.exec_driver_sql("select booking_id, status from alerts_booking_facts")
        return {r.booking_id: r.status for r in rows}


def on_day(day: str, days_after: int) -> str:
    """Noon in Beijing, ``days_after`` days after ``day``: the checks' clock, injected."""
    return datetime.combine(date.fromisoformat(day) + timedelta(days=days_after), time(12), CHINA).isoformat()


def test_a_confirmed_booking_not_delivered_is_found_once_and_raises_an_alert(node):
    registry, booking, alerts = node
    facility_id = register_facility(registry, booking, area=AREA)
    kept, dropped = register_elders(registry, booking, 2, area=AREA + "001")
    confirmed = call(booking, "request_booking", stay(facility_id, kept, 2))
    cancelled = call(booking, "request_booking", stay(facility_id, dropped, 2))
    call(booking, "change_booking", cancelled["booking_id"], "cancel", {"by": "elder", "reason": "stays home"})
    wait_for(lambda: facts(alerts) == {confirmed["booking_id"]: "confirmed", cancelled["booking_id"]: "cancelled"},
             message="the alerts service to follow both bookings")

    day = confirmed["when"]["day"]
    assert call(alerts, "check", on_day(day, 3))["findings"] == []  # within the town's grace of 3 days
    [finding] = call(alerts, "check", on_day(day, 4))["findings"]
    alert = call(alerts, "get_alert", finding)
    assert (alert["kind"], alert["source"], alert["severity"], alert["status"]) == \
           ("booking_not_delivered", "supervision", "medium", "raised")
    assert (alert["elder_id"], alert["facility_id"], alert["area_code"]) == (kept, facility_id, AREA)
    [found] = store_of(alerts).read_stream(f"finding-{finding}")
    assert found.type == "eldernet.alerts.AnomalyFound"
    assert found.data["subject"] == f"booking:{confirmed['booking_id']}"
    assert call(alerts, "check", on_day(day, 5))["findings"] == []  # found once
