"""A nameko service on the example ward domain, for tests that run real node processes."""
from nameko.rpc import rpc

from shared.dependencies import EventSourced
from shared.entrypoints import consume_events
from shared.events import utcnow
from tests.support.occupancy import WardOccupancy
from tests.support.ward import AdmitElder, OpenWard, ward, ward_events

SERVICE = "tests.support.wards_service:WardService"


class WardService:
    name = "wards"
    uow = EventSourced(registry=ward_events(), projections=[WardOccupancy()])

    @rpc
    def open_ward(self, ward_id, beds):
        with self.uow() as uow:
            return [e.id for e in uow.execute(ward, ward_id, OpenWard(ward_id, beds, utcnow()), area_code="210402")]

    @rpc
    def stored(self):
        """Everything in the service's store, as CloudEvents (for tests that compare)."""
        return [e.to_cloudevent() for e in self.uow.store.read_all(0, 1000)]

    @consume_events("eldernet.node.NodeStarted")
    def admit_node_founder(self, event):
        """Each node start admits a founder to ward "w-<node>": a consumer that writes events."""
        ward_id = f"w-{event.data['node_id']}"
        with self.uow() as uow:
            state, _ = uow.load(ward, ward_id)
            if not state.opened:
                uow.execute(ward, ward_id, OpenWard(ward_id, 100, event.time), area_code="210402")
            uow.execute(ward, ward_id, AdmitElder(ward_id, event.id, event.time), area_code="210402")
