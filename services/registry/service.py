"""The registry service (nameko): thin entrypoints over the service layer in handlers.py.

RPC methods are for trusted callers on the node's own broker (other services, the seed loader);
people reach the registry through the node's HTTP API, which passes their token's scope.
"""
from __future__ import annotations

from datetime import date

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from shared.config import eldernet_section
from shared.dependencies import EventSourced
from shared.schemas import jsonable
from services.registry import handlers, identities
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


class RegistryService:
    name = "registry"
    uow = EventSourced(registry=registry_events(), projections=registry_projections(),
                       tables=[identities.identities])
    identity_key = IdentityKey()

    @rpc
    def register_area(self, payload):
        return jsonable(handlers.register_area(self.uow, payload))

    @rpc
    def import_areas(self, rows):
        return handlers.import_areas(self.uow, rows)

    @rpc
    def register_facility(self, payload):
        return jsonable(handlers.register_facility(self.uow, payload))

    @rpc
    def change_facility(self, facility_id, action, payload=None):
        return jsonable(handlers.change_facility(self.uow, facility_id, action, payload))

    @rpc
    def register_elder(self, payload):
        return jsonable(handlers.register_elder(self.uow, self.identity_key, payload))

    @rpc
    def change_elder(self, elder_id, action, payload):
        return jsonable(handlers.change_elder(self.uow, elder_id, action, payload))

    @rpc
    def register_many(self, kind, payloads):
        """Batch loading (seed data, migrations from another system): each item is its own
        command and unit of work, exactly as if sent alone; answers what failed and why."""
        return handlers.register_many(self.uow, self.identity_key, kind, payloads)

    @rpc
    def statistics(self, area_code, as_of=None):
        day = date.fromisoformat(as_of) if as_of else None
        return jsonable(handlers.tier_statistics(self.uow, area_code, day))
