"""A node running the registry, booking and billing on the real broker: billing learns elders from
the registry's events and prices the booking service's delivered bookings."""
import pytest

from services.billing.service import BillingService
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, call


@pytest.fixture
def config(request, node_config):
    """The node's config; billing's store on SQLite, or on PostgreSQL for a test that asks."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return node_config
    databases = {"billing": request.getfixturevalue("postgres_url")}
    return {**node_config, "ELDERNET": {**node_config["ELDERNET"], "databases": databases}}


@pytest.fixture
def node(container_factory, config):
    """(registry, booking, billing) on one district node (xinfu, 210402): the consumers start
    first, so their queues are bound before anything is published."""
    containers = {}
    for service in (BillingService, BookingService, RegistryService):
        containers[service.name] = container_factory(service, config)
        containers[service.name].start()
    call(containers["registry"], "import_areas", TREE)
    return containers
