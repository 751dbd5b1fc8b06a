"""A node running the registry and the booking service on the real broker: facilities are
registered in the registry and reach booking only through its published events."""
import pytest

from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, call, register_elders


@pytest.fixture
def node(container_factory, node_config):
    """(registry, booking) on one node: booking starts first, so its consumer's queue is bound
    before the registry publishes anything."""
    booking = container_factory(BookingService, node_config)
    booking.start()
    registry = container_factory(RegistryService, node_config)
    registry.start()
    call(registry, "import_areas", TREE)
    return registry, booking


@pytest.fixture
def elder(node):
    """At each call, a new elder registered in the registry, whom booking has heard of."""
    registry, booking = node
    return lambda: register_elders(registry, booking, 1)[0]
