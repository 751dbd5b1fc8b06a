"""The alerts service (nameko): thin entrypoints over the service layer in handlers.py.

Device gateways send signals on AMQP (entrypoints.py) or over HTTP; a timer checks deadlines,
silent devices and supervision rules every ``ELDERNET.alerts.check_interval`` seconds; the booking
service's events feed the supervision rule; alerts sync up and down the tiers like every record, and
each node above an alert's home runs its deadlines too (docs/alerts.md). People reach the service
through the node's HTTP API (``api.py``); RPC methods are for trusted callers on the node's broker.
"""
from __future__ import annotations

from datetime import datetime

from nameko.rpc import rpc

from shared.aggregate import Rejected
from shared.dependencies import EventSourced
from shared.entrypoints import consume_events
from shared.events import utcnow
from shared.forwarding import HomeNodeForwarder
from shared.metrics import ServiceMetrics
from shared.schemas import PayloadError, jsonable, load
from shared.sync_intake import receive_synced_events
from services.alerts import bodies as s, handlers, homes
from services.alerts.api import ALERTS_API
from services.alerts.domain.signals import parse_signal
from services.alerts.entrypoints import every_check, receive_signals
from services.alerts.feed import BOOKING_EVENTS
from services.alerts.metrics import alert_metrics
from services.alerts.notifier import Notifiers
from services.alerts.projections import alert_projections
from services.alerts.schemas import alert_events
from services.alerts.settings import settings_of
from services.alerts.tables import OWN_TABLES


def _dump(schema, result):
    return jsonable(schema().dump(result))


def _signal_of_body(body: dict):
    try:
        return parse_signal(body)
    except Rejected as error:
        raise PayloadError({error.field: [error.reason]}, prefix="body.") from None


class AlertsService:
    name = "alerts"
    uow = EventSourced(registry=alert_events(), projections=alert_projections(), tables=OWN_TABLES,
                       home_area=homes.home_area, references=homes.references)
    metrics = ServiceMetrics(alert_metrics)  # its own series, registered at set-up (docs/alerts.md)
    home_node = HomeNodeForwarder()  # single writer: a device's signal or a registration goes to its home node
    notifiers = Notifiers()

    @property
    def settings(self):
        return settings_of(self.uow.config)

    def _told(self, result):
        """Wake the notifiers: the step may have made notices (they tell them off this worker's path)."""
        self.notifiers.poke()
        return result

    # -- device gateways -----------------------------------------------------------------------
    @receive_signals
    def on_signal(self, signal):
        self._told(handlers.take_signal(self.uow, signal, self.settings, utcnow()))

    # -- the checks: deadlines, silent devices, supervision rules ----------------------------------
    @every_check
    def check_due(self):
        self.check()

    @rpc
    def check(self, at: str | None = None):
        """Run the checks now, or at ``at`` (ISO 8601: a trusted caller's or a test's clock)."""
        now = datetime.fromisoformat(at) if at else utcnow()
        result = handlers.check(self.uow, self.settings, now)
        handlers.count_open(self.uow)
        return self._told(result)

    # -- other services' events: supervision -----------------------------------------------------
    @consume_events(*BOOKING_EVENTS)
    def on_booking_event(self, event):
        handlers.follow_booking(self.uow, event)

    # -- tiered sync ----------------------------------------------------------------------------
    @receive_synced_events()
    def receive_synced(self, event):
        with self.uow() as uow:
            uow.ingest(event)
        self._told(None)

    # -- RPC: trusted callers on this node's broker ----------------------------------------------
    @rpc
    def register_device(self, payload):
        body = load(s.RegisterDeviceBody(), payload)
        return _dump(s.DeviceOut, handlers.register_device(self.uow, body, utcnow()))

    @rpc
    def signal(self, payload):
        return _dump(s.SignalOut, self._told(handlers.take_signal(self.uow, _signal_of_body(payload),
                                                                  self.settings, utcnow())))

    @rpc
    def acknowledge(self, alert_id, by):
        return _dump(s.AlertOut, self._told(handlers.acknowledge(self.uow, alert_id, by, utcnow())))

    @rpc
    def resolve(self, alert_id, payload):
        body = load(s.ResolveBody(), payload)
        return _dump(s.AlertOut, self._told(handlers.resolve(self.uow, alert_id, body, utcnow())))

    @rpc
    def get_alert(self, alert_id):
        return _dump(s.AlertOut, handlers.get_alert(self.uow, alert_id))

    @rpc
    def get_device(self, device_id):
        return _dump(s.DeviceOut, handlers.get_device(self.uow, device_id))

    @rpc
    def list_alerts(self, area_code=None, status=None, limit=50):
        page = handlers.list_alerts(self.uow, {"area_code": area_code, "status": status, "limit": limit,
                                               "offset": 0})
        return [jsonable(s.AlertOut().dump(row)) for row in page.items]

    # -- HTTP, through the node's gateway -----------------------------------------------------------
    @rpc
    def http(self, request):
        return self.home_node.serve(request, lambda: jsonable(ALERTS_API.dispatch(self, request)))

    @rpc
    def openapi(self):
        return ALERTS_API.openapi()

    def http_list_alerts(self, principal, params, query, body):
        return handlers.list_alerts(self.uow, query, principal)

    def http_get_alert(self, principal, params, query, body):
        return handlers.get_alert(self.uow, params["alert_id"], principal)

    def http_acknowledge(self, principal, params, query, body):
        return self._told(handlers.acknowledge(self.uow, params["alert_id"], body["by"], utcnow(), principal))

    def http_resolve(self, principal, params, query, body):
        return self._told(handlers.resolve(self.uow, params["alert_id"], body, utcnow(), principal))

    def http_elder_alerts(self, principal, params, query, body):
        return handlers.history(self.uow, query, principal, elder_id=params["elder_id"])

    def http_facility_alerts(self, principal, params, query, body):
        return handlers.history(self.uow, query, principal, facility_id=params["facility_id"])

    def http_signal(self, principal, params, query, body):
        return self._told(handlers.take_signal(self.uow, _signal_of_body(body), self.settings, utcnow(), principal))

    def http_register_device(self, principal, params, query, body):
        return handlers.register_device(self.uow, body, utcnow(), principal)

    def http_get_device(self, principal, params, query, body):
        return handlers.get_device(self.uow, params["device_id"], principal)
