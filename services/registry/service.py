"""The registry service (nameko): thin entrypoints over the service layer in handlers.py.

RPC methods are for trusted callers on the node's own broker (other services, the seed loader);
people reach the registry through the node's HTTP API (gateway in the node service), which calls
``http`` with the request and the caller's token scope; ``api.py`` lists those operations.
"""
from __future__ import annotations

from datetime import date

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from shared.aggregate import Rejected
from shared.config import eldernet_section
from shared.dependencies import EventSourced
from shared.entrypoints import consume_events
from shared.forwarding import HomeNodeForwarder
from shared.sync_intake import receive_synced_events
from shared.schemas import jsonable, load
from services.registry import handlers, homing, identities, occupancy, schemas as s
from services.registry.actions import ELDER_ACTIONS, FACILITY_ACTIONS
from services.registry.api import REGISTRY_API
from services.registry.projections import registry_projections
from services.registry.schemas import registry_events


class IdentityKey(DependencyProvider):
    """The node's secret for hashing ID numbers (see identities.py)."""

    def setup(self):
        section = eldernet_section(self.container.config)
        configured = (section.get("registry") or {}).get("identity_key")
        self.key = identities.load_key(configured, section.get("data_dir") or "var/local")

    def get_dependency(self, worker_ctx):
        return self.key


def _action(actions: dict, action: str, payload: dict | None):
    if action not in actions:
        raise Rejected(f"one of {', '.join(actions)}", field="action")
    schema, make = actions[action]
    return make(load(schema(), payload or {}) if schema else None)


class RegistryService:
    name = "registry"
    uow = EventSourced(registry=registry_events(), projections=registry_projections(),
                       tables=[identities.identities, occupancy.stays], home_area=homing.home_area,
                       references=homing.references)
    identity_key = IdentityKey()
    home_node = HomeNodeForwarder()  # single writer: a command for another node's record goes there

    # -- RPC: trusted callers on this node's broker ----------------------------------------
    @rpc
    def register_area(self, payload):
        return jsonable(handlers.register_area(self.uow, load(s.AreaBody(), payload)))

    @rpc
    def import_areas(self, rows):
        return handlers.import_areas(self.uow, rows)

    @rpc
    def register_facility(self, payload):
        return jsonable(handlers.register_facility(self.uow, load(s.FacilityBody(), payload)))

    @rpc
    def change_facility(self, facility_id, action, payload=None):
        return jsonable(handlers.change_facility(self.uow, facility_id, _action(FACILITY_ACTIONS, action, payload)))

    @rpc
    def register_elder(self, payload):
        return jsonable(handlers.register_elder(self.uow, self.identity_key, load(s.ElderBody(), payload)))

    @rpc
    def change_elder(self, elder_id, action, payload):
        return jsonable(handlers.change_elder(self.uow, elder_id, _action(ELDER_ACTIONS, action, payload)))

    @rpc
    def register_many(self, kind, payloads):
        """Batch loading (seed data, migration from another system): each item is its own command
        and unit of work, exactly as if sent alone; answers how many were done and what failed."""
        run = {
            "facilities": self.register_facility,
            "elders": self.register_elder,
            "assessments": lambda p: self.change_elder(p["elder_id"], "assess",
                                                       {k: v for k, v in p.items() if k != "elder_id"}),
            "admissions": lambda p: self.change_facility(p["facility_id"], "admit", {"elder_id": p["elder_id"]}),
        }[kind]
        done, errors = 0, []
        for index, payload in enumerate(payloads):
            try:
                run(payload)
                done += 1
            except (ValueError, LookupError, PermissionError) as error:  # Rejected, PayloadError, NotFound...
                errors.append({"index": index, "error": f"{type(error).__name__}: {error}"})
        return {"done": done, "errors": errors}

    @rpc
    def statistics(self, area_code, as_of=None):
        day = date.fromisoformat(as_of) if as_of else None
        return jsonable(handlers.tier_statistics(self.uow, area_code, day))

    # -- booking's admissions: the facilities' residents ----------------------------------------
    @consume_events(*occupancy.BOOKING_EVENTS)
    def on_booking_event(self, event):
        occupancy.follow_booking(self.uow, event)

    # -- tiered sync: what the parent sends down and the children forward up -------------
    @receive_synced_events()
    def receive_synced(self, event):
        with self.uow() as uow:
            uow.ingest(event)

    # -- HTTP, through the node's gateway ---------------------------------------------------
    @rpc
    def http(self, request):
        return self.home_node.serve(request, lambda: jsonable(REGISTRY_API.dispatch(self, request)))

    @rpc
    def openapi(self):
        return REGISTRY_API.openapi()

    def http_list_areas(self, principal, params, query, body):
        return handlers.list_areas(self.uow, query["area_code"], query["tier"], query["limit"], query["offset"],
                                   principal)

    def http_register_area(self, principal, params, query, body):
        return handlers.register_area(self.uow, body, principal)

    def http_import_areas(self, principal, params, query, body):
        return handlers.import_areas(self.uow, body["rows"], principal)

    def http_get_area(self, principal, params, query, body):
        return handlers.get_area(self.uow, params["code"], principal)

    def http_statistics(self, principal, params, query, body):
        return handlers.tier_statistics(self.uow, params["code"], query["as_of"], principal)

    def http_list_facilities(self, principal, params, query, body):
        return handlers.list_facilities(self.uow, query, principal)

    def http_register_facility(self, principal, params, query, body):
        return handlers.register_facility(self.uow, body, principal)

    def http_get_facility(self, principal, params, query, body):
        return handlers.get_facility(self.uow, params["facility_id"], principal)

    def http_list_elders(self, principal, params, query, body):
        return handlers.list_elders(self.uow, query, principal)

    def http_register_elder(self, principal, params, query, body):
        return handlers.register_elder(self.uow, self.identity_key, body, principal)

    def http_get_elder(self, principal, params, query, body):
        return handlers.get_elder(self.uow, params["elder_id"], principal)


# One HTTP handler per facility and elder action (api.py declares an operation for each).
def _facility_handler(action):
    def handler(self, principal, params, query, body):
        make = FACILITY_ACTIONS[action][1](body)
        return handlers.change_facility(self.uow, params["facility_id"], make, principal)
    return handler


def _elder_handler(action):
    def handler(self, principal, params, query, body):
        return handlers.change_elder(self.uow, params["elder_id"], ELDER_ACTIONS[action][1](body), principal)
    return handler


for _name in FACILITY_ACTIONS:
    setattr(RegistryService, f"http_facility_{_name}", _facility_handler(_name))
for _name in ELDER_ACTIONS:
    setattr(RegistryService, f"http_elder_{_name}", _elder_handler(_name))
