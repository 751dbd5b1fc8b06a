"""The booking service (nameko): thin entrypoints over the service layer in handlers.py.

RPC methods are for trusted callers on the node's own broker; people reach the service through the
node's HTTP API (``api.py``). Capacity follows the registry's facility events; bookings sync up
and down the tiers like the registry's records.
"""
from __future__ import annotations

from datetime import date

from nameko.rpc import rpc
from nameko.timer import timer

from shared.aggregate import Rejected
from shared.dependencies import EventSourced
from shared.events import utcnow
from shared.entrypoints import consume_events
from shared.forwarding import HomeNodeForwarder
from shared.schemas import load
from shared.sync_intake import receive_synced_events
from services.booking import bodies as s, handlers
from services.booking.elders import ELDER_EVENTS, elders_table
from services.booking.actions import BOOKING_ACTIONS
from services.booking.api import BOOKING_API
from services.booking.feed import FACILITY_EVENTS, facts_table
from services.booking.projections import booking_projections
from services.booking.schemas import booking_events


# How often the clock looks for waiting requests whose time has passed. Promotion never picks one
# (capacity checks the time itself), so this only tells their elders sooner: minutes are enough.
EXPIRY_INTERVAL_SECONDS = 300


def _dump(schema, result):
    return schema().dump(result)


class BookingService:
    name = "booking"
    uow = EventSourced(registry=booking_events(), projections=booking_projections(),
                       tables=[facts_table, elders_table])
    home_node = HomeNodeForwarder()  # single writer: a booking for another node's facility goes there

    # -- RPC: trusted callers on this node's broker ----------------------------------------
    @rpc
    def request_booking(self, payload):
        return _dump(s.BookingOut, handlers.request_booking(self.uow, load(s.RequestBody(), payload)))

    @rpc
    def request_series(self, payload):
        return _dump(s.SeriesOut, handlers.request_series(self.uow, load(s.SeriesBody(), payload)))

    @rpc
    def change_booking(self, booking_id, action, payload=None):
        if action not in BOOKING_ACTIONS:
            raise Rejected(f"one of {', '.join(BOOKING_ACTIONS)}", field="action")
        schema, make, gives_back = BOOKING_ACTIONS[action]
        body = load(schema(), payload or {}) if schema else None
        return _dump(s.BookingOut, handlers.change_booking(self.uow, booking_id, make(body), gives_back))

    @rpc
    def set_capacity(self, facility_id, payload):
        return _dump(s.ScheduleOut, handlers.set_capacity(self.uow, facility_id, load(s.CapacityBody(), payload)))

    @rpc
    def schedule(self, facility_id, day_from, day_to):
        result = handlers.facility_schedule(self.uow, facility_id, date.fromisoformat(day_from),
                                            date.fromisoformat(day_to))
        return _dump(s.ScheduleOut, result)

    @rpc
    def get_booking(self, booking_id):
        return _dump(s.BookingOut, handlers.get_booking(self.uow, booking_id))

    # -- the registry's facilities: their capacity ---------------------------------------------
    @consume_events(*FACILITY_EVENTS)
    def on_facility_event(self, event):
        handlers.follow_facility(self.uow, event)

    # -- the registry's elders: a booking is for an elder the registry holds ---------------------
    @consume_events(*ELDER_EVENTS)
    def on_elder_event(self, event):
        handlers.follow_elder(self.uow, event)

    # -- the clock: waiting requests whose time has passed ------------------------------------
    @timer(interval=EXPIRY_INTERVAL_SECONDS)
    def expire_waiting(self):
        return handlers.expire_waiting(self.uow, utcnow())

    # -- tiered sync: what the parent sends down and the children forward up -------------
    @receive_synced_events()
    def receive_synced(self, event):
        with self.uow() as uow:
            uow.ingest(event)

    # -- HTTP, through the node's gateway ---------------------------------------------------
    @rpc
    def http(self, request):
        return self.home_node.serve(request, lambda: BOOKING_API.dispatch(self, request))

    @rpc
    def openapi(self):
        return BOOKING_API.openapi()

    def http_request_booking(self, principal, params, query, body):
        return handlers.request_booking(self.uow, body, principal)

    def http_request_series(self, principal, params, query, body):
        return handlers.request_series(self.uow, body, principal)

    def http_list_bookings(self, principal, params, query, body):
        return handlers.list_bookings(self.uow, query, principal)

    def http_get_booking(self, principal, params, query, body):
        return handlers.get_booking(self.uow, params["booking_id"], principal)

    def http_schedule(self, principal, params, query, body):
        return handlers.facility_schedule(self.uow, params["facility_id"], query["day_from"], query["day_to"],
                                          principal)

    def http_set_capacity(self, principal, params, query, body):
        return handlers.set_capacity(self.uow, params["facility_id"], body, principal)

    def http_elder_bookings(self, principal, params, query, body):
        return handlers.elder_bookings(self.uow, params["elder_id"], query, principal)

    # One operation per step of a booking (api.py), each with its own body schema.
    def http_booking_cancel(self, principal, params, query, body):
        return self._step(principal, params["booking_id"], "cancel", body)

    def http_booking_check_in(self, principal, params, query, body):
        return self._step(principal, params["booking_id"], "check_in", body)

    def http_booking_deliver(self, principal, params, query, body):
        return self._step(principal, params["booking_id"], "deliver", body)

    def http_booking_no_show(self, principal, params, query, body):
        return self._step(principal, params["booking_id"], "no_show", body)

    def _step(self, principal, booking_id, action, body):
        _, make, gives_back = BOOKING_ACTIONS[action]
        return handlers.change_booking(self.uow, booking_id, make(body), gives_back, principal)
