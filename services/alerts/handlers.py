"""The alerts service layer: one function per command or query, called by the nameko entrypoints
(RPC, HTTP, AMQP signals, the timer) with input already loaded through its schema. Each checks the
caller's area scope (``scope``: the HTTP caller's Principal, None for trusted callers on the node's
own broker), runs its step in one unit of work (flow.py) and answers from the read models.

Times come from ``now`` (the node's clock, read by the entrypoint) so tests drive the checks with
explicit times.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.aggregate import Rejected
from shared.http_api import Page, area_filter, require_seen
from shared.retry import retrying
from services.alerts import feed, flow, queries
from services.alerts.domain import alerts as a, devices as d
from services.alerts.domain.escalation import due
from services.alerts.domain.signals import Signal
from services.alerts.domain.supervision import CHINA, Booking, booking_not_delivered
from services.alerts.metrics import alert_metrics
from services.alerts.projections import alert_of, device_of
from services.alerts.settings import AlertsSettings


def _node(uow):
    return uow.node.id, uow.node.tier.value


# -- devices and signals ------------------------------------------------------------------------
def register_device(uow, body: dict, now: datetime, scope=None) -> dict:
    if scope is not None:
        scope.require_write(body["area_code"])
    silent_after = body.get("silent_after") or d.DEFAULT_SILENT_AFTER.get(body["device_type"], timedelta(minutes=30))
    command = d.RegisterDevice(body["device_id"], body["device_type"], body["area_code"], body.get("elder_id"),
                               body.get("facility_id"), silent_after, now)

    def attempt():
        with uow() as work:
            work.execute(d.device, command.device_id, command, area_code=command.area_code)
    retrying(attempt, "alerts")
    return get_device(uow, command.device_id)


def get_device(uow, device_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_device(conn, device_id)
    require_seen(scope, row and row["area_code"], f"device {device_id}")
    return row


def take_signal(uow, signal: Signal, settings: AlertsSettings, now: datetime, scope=None) -> dict:
    """A device's signal: its alarms raised, counted as repeats or ignored, in one unit of work."""
    if scope is not None:
        device = get_device(uow, signal.device_id, scope)
        scope.require_write(device["area_code"])

    def attempt():
        with uow() as work:
            return flow.take_signal(work, signal, settings, now)
    outcomes = retrying(attempt, "alerts")
    node_id, _ = _node(uow)
    for outcome in outcomes or [{"outcome": "quiet"}]:
        alert_metrics().signals.labels(node=node_id, outcome=outcome["outcome"]).inc()
    return {"device_id": signal.device_id, "alarms": outcomes}


# -- the lifecycle ------------------------------------------------------------------------------
def acknowledge(uow, alert_id: str, by: str, now: datetime, scope=None) -> dict:
    alert = get_alert(uow, alert_id, scope)
    if scope is not None:
        scope.require_write(alert["area_code"])
    node_id, tier = _node(uow)

    def attempt():
        with uow() as work:
            return flow.decide_alert(work, alert_id, a.AcknowledgeAlert(alert_id, by, tier, now))
    if retrying(attempt, "alerts"):
        waited = (now - alert["raised_at"]).total_seconds()
        alert_metrics().ack_seconds.labels(node=node_id, severity=alert["severity"]).observe(max(waited, 0))
    return get_alert(uow, alert_id)


def resolve(uow, alert_id: str, body: dict, now: datetime, scope=None) -> dict:
    alert = get_alert(uow, alert_id, scope)
    if scope is not None:
        scope.require_write(alert["area_code"])
    _, tier = _node(uow)
    command = a.ResolveAlert(alert_id, body["by"], tier, body["outcome"], body.get("note", ""), now)

    def attempt():
        with uow() as work:
            flow.decide_alert(work, alert_id, command)
    retrying(attempt, "alerts")
    return get_alert(uow, alert_id)


# -- the checks (the timer, or a test with its own clock) ---------------------------------------------
def check(uow, settings: AlertsSettings, now: datetime) -> dict:
    """Everything due at ``now`` at this node: escalations, silent devices, supervision findings."""
    return {"escalated": escalate(uow, now), "silent": find_silent(uow, settings, now),
            "findings": supervise(uow, settings, now)}


def escalate(uow, now: datetime) -> list[str]:
    """Escalate every open alert of this node's area that is overdue (domain/escalation.py ``due``)."""
    _, tier = _node(uow)
    with uow.read() as conn:
        rows = queries.open_alerts(conn, uow.node.area_code)
    # The read model holds the domain's state (projections.py): only an alert due by it is loaded
    # from its streams and decided on.
    escalated = []
    for alert_id in [row["alert_id"] for row in rows if due(alert_of(row), now, tier)]:
        def attempt(alert_id=alert_id):
            with uow() as work:
                return flow.escalate_due(work, alert_id, now)
        escalated += [event.escalation_id for event in _refused_is_nothing(lambda: retrying(attempt, "alerts"))]
    return escalated


def find_silent(uow, settings: AlertsSettings, now: datetime) -> list[str]:
    with uow.read() as conn:
        rows = queries.devices_in(conn, uow.node.area_code)
    # The read model holds the device's state: only one silent by it is decided on in a unit of work.
    silent = [row for row in rows if d.silence_due(device_of(row), row["last_heard_at"], now)]
    raised = []
    for device_id in _homed(uow, [(d.device.stream_id(r["device_id"]), r["area_code"], r["device_id"])
                                  for r in silent]):
        def attempt(device_id=device_id):
            with uow() as work:
                return flow.silence(work, device_id, now, settings)
        alert_id = _refused_is_nothing(lambda: retrying(attempt, "alerts"), default=None)
        if alert_id:
            raised.append(alert_id)
    return raised


def supervise(uow, settings: AlertsSettings, now: datetime) -> list[str]:
    """The "confirmed bookings not delivered" rule over the bookings homed at this node."""
    today = now.astimezone(CHINA).date()
    with uow.read() as conn:
        candidates = queries.undelivered_candidates(conn, uow.node.area_code, today)
    facts = [Booking(row["booking_id"], row["elder_id"], row["facility_id"], row["area_code"], row["service_date"],
                     row["status"]) for row in candidates]
    facts = [fact for fact in facts if booking_not_delivered(fact, settings.thresholds(fact.area_code), now)]
    found = []
    for fact in _homed(uow, [(f"booking-{fact.booking_id}", fact.area_code, fact) for fact in facts]):
        def attempt(fact=fact):
            with uow() as work:
                findings = flow.find_undelivered(work, fact, settings, now)
                if findings:
                    feed.flag(work.conn, fact.booking_id)
                return findings
        found += _refused_is_nothing(lambda: retrying(attempt, "alerts"))
    return found


def _homed(uow, records: list[tuple]) -> list:
    """The last item of each (stream, area, item) whose stream this node is the home of: only
    those are its to decide on (single writer); the others are their home nodes'."""
    if not records:
        return []
    with uow() as work:
        return [item for stream, area, item in records if work.is_home(stream, area)]


def follow_booking(uow, event) -> None:
    with uow() as work:
        feed.follow(work.conn, event)


def _refused_is_nothing(step, default=()):
    """A check that the domain or the single-writer rule refuses (not this node's to decide) does
    nothing; the next check sees the state afresh."""
    try:
        return step()
    except Rejected:
        return list(default) if isinstance(default, tuple) else default


# -- queries ------------------------------------------------------------------------------------
def get_alert(uow, alert_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_alert(conn, alert_id)
    require_seen(scope, row and row["area_code"], f"alert {alert_id}")
    return row


def list_alerts(uow, query: dict, scope=None) -> Page:
    area_code = area_filter(scope, query.get("area_code"), uow.node.area_code)
    statuses = _statuses(query.get("status") or "open")
    with uow.read() as conn:
        rows, total = queries.list_alerts(conn, area_code, statuses=statuses, severity=query.get("severity"),
                                          elder_id=query.get("elder_id"), facility_id=query.get("facility_id"),
                                          limit=query["limit"], offset=query["offset"])
    return Page(rows, total, query["limit"], query["offset"])


def history(uow, query: dict, scope=None, **subject) -> Page:
    """Every alert (open or closed) of one elder or one facility, in the caller's area."""
    return list_alerts(uow, {**query, **subject, "status": "all", "area_code": None}, scope)


def _statuses(status: str) -> tuple[str, ...] | None:
    """The statuses a list's ``status`` stands for: "open", "all" (None: no filter) or one."""
    return {"open": queries.OPEN, "all": None}.get(status, (status,))


def count_open(uow) -> None:
    node_id, _ = _node(uow)
    with uow.read() as conn:
        alert_metrics().count_open(node_id, queries.open_counts(conn, uow.node.area_code))
