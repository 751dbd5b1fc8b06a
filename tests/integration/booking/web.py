"""A node serving the HTTP API (gateway, tokens) with the registry and the booking service, for the
booking tests that go through real HTTP: ``api(method, path, who=...)`` calls it with a token."""
import pytest
import requests
from nameko.testing.services import entrypoint_hook

from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.booking.builders import TREE, days_ahead, register_elders, register_facility

API = "/api/v1/booking"


@pytest.fixture
def config(request, web_node_config):
    """The node's config; booking's store on SQLite, or on PostgreSQL for a test that asks."""
    if getattr(request, "param", "sqlite") == "sqlite":
        return web_node_config
    databases = {"booking": request.getfixturevalue("postgres_url")}
    return {**web_node_config, "ELDERNET": {**web_node_config["ELDERNET"], "databases": databases}}


@pytest.fixture
def node(container_factory, config):
    containers = {service.name: container_factory(service, config)
                  for service in (NodeService, BookingService, RegistryService)}
    for container in containers.values():
        container.start()
    with entrypoint_hook(containers["registry"], "import_areas") as import_areas:
        import_areas(TREE)
    return containers


@pytest.fixture
def tokens(config):
    made = {}
    for name, area, role in (("operator", "210402003", "operator"), ("viewer", "210402003", "viewer"),
                             ("neighbour", "210402004", "operator")):
        made[name], _ = issue_token(config, area, role, label=name)
    return made


@pytest.fixture
def api(node, config, tokens):
    base = f"http://{config['WEB_SERVER_ADDRESS']}{API}"

    def request(method, path, who="operator", **kwargs):
        # A session per call: the racers each need their own connection.
        with requests.Session() as session:
            return session.request(method, base + path, headers={"Authorization": f"Bearer {tokens[who]}"},
                                   timeout=30, **kwargs)
    return request


@pytest.fixture
def facility_id(node):
    return register_facility(node["registry"], node["booking"], capacity={"general_beds": 1})


@pytest.fixture
def elder(node):
    """At each call, a new elder registered in the registry, whom booking has heard of."""
    return lambda: register_elders(node["registry"], node["booking"], 1)[0]


def stay(facility_id, elder_id, **changes):
    body = {"elder_id": elder_id, "facility_id": facility_id, "service": "admission",
            "when": {"day": days_ahead(10), "until": days_ahead(40)}}
    return {**body, **changes}
