"""The registry through the node's HTTP API: real HTTP, real broker, real tokens.

A district admin, a street operator and viewers of two different areas use the API; validation
errors name the field, scope violations are refused (403/404) and store nothing, lists page."""
import pytest
from nameko.testing.services import entrypoint_hook

from shared.dependencies import EventSourced
from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.registry.domain import identity
from services.registry.service import RegistryService

API = "/api/v1/registry"
TREE = [
    {"code": "2104", "name": "抚顺市", "tier": "city", "parent": None},
    {"code": "210402", "name": "新抚区", "tier": "district", "parent": "2104"},
    {"code": "210402003", "name": "永安台街道", "tier": "town", "parent": "210402"},
    {"code": "210402004", "name": "榆林街道", "tier": "town", "parent": "210402"},
    {"code": "210402003001", "name": "永安社区", "tier": "village", "parent": "210402003"},
    {"code": "210402004001", "name": "榆林社区", "tier": "village", "parent": "210402004"},
]


def make_id(born="19400101", seq="011"):
    first17 = "210402" + born + seq
    return first17 + identity.check_digit(first17)


@pytest.fixture
def config(web_node_config):
    return web_node_config


@pytest.fixture
def node(container_factory, config):
    containers = [container_factory(service, config) for service in (NodeService, RegistryService)]
    for container in containers:
        container.start()
    return containers[1]


@pytest.fixture
def tokens(config):
    made = {}
    for name, area, role in (("admin", "210402", "admin"), ("operator", "210402003", "operator"),
                             ("viewer", "210402003", "viewer"), ("other", "210402004", "viewer")):
        made[name], _ = issue_token(config, area, role, label=name)
    return made


@pytest.fixture
def api(node, web_session, tokens):
    def call(method, path, who="admin", **kwargs):
        return web_session.request(method, API + path, headers={"Authorization": f"Bearer {tokens[who]}"}, **kwargs)
    with entrypoint_hook(node, "import_areas") as import_areas:  # the node's set-up, over its own broker
        import_areas(TREE[:1])
    imported = call("POST", "/areas/import", json={"rows": TREE[1:]})
    assert imported.status_code == 200 and imported.json() == {"rows": 5, "registered": 5}
    return call


def store_head(node):
    return next(d for d in node.dependencies if isinstance(d, EventSourced)).store.head_position()


def facility(area="210402003001", **changes):
    body = {"kind": "day_care_centre", "name": "永安社区日间照料中心", "area_code": area,
            "ownership": "public_built_private_run", "capacity": {"day_places": 30}, "services": ["day_care", "meals"]}
    body.update(changes)
    return body


def test_an_operator_registers_and_everyone_in_scope_reads(api):
    created = api("POST", "/facilities", who="operator", json=facility())
    assert created.status_code == 201, created.text
    facility_id = created.json()["facility_id"]
    assert created.json()["capacity"]["day_places"] == 30 and created.json()["status"] == "open"
    assert api("GET", f"/facilities/{facility_id}", who="viewer").json()["name"] == "永安社区日间照料中心"
    suspended = api("POST", f"/facilities/{facility_id}/suspend", who="operator", json={"reason": "renovation"})
    assert suspended.json()["status"] == "suspended"


def test_validation_errors_name_the_field_and_store_nothing(api, node):
    head = store_head(node)
    response = api("POST", "/facilities", who="operator",
                   json=facility(kind="spa", capacity={"day_places": "lots"}, area_code="2104-02"))
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"body.kind", "body.capacity.day_places", "body.area_code"} <= set(fields)
    rejected = api("POST", "/facilities", who="operator", json=facility(capacity={"canteen_seats": 5}))
    assert rejected.status_code == 409 and "capacity.day_places" in rejected.json()["error"]["fields"]
    assert store_head(node) == head


def test_writes_outside_the_tokens_area_or_role_are_refused(api, node):
    head = store_head(node)
    assert api("POST", "/facilities", who="operator", json=facility(area="210402004001")).status_code == 403
    assert api("POST", "/facilities", who="viewer", json=facility()).status_code == 403
    assert store_head(node) == head


def test_reads_outside_the_scope_get_no_data(api):
    facility_id = api("POST", "/facilities", json=facility(area="210402004001")).json()["facility_id"]
    assert api("GET", f"/facilities/{facility_id}", who="viewer").status_code == 404
    assert api("GET", "/facilities", who="viewer", params={"area_code": "210402004"}).status_code == 403
    assert api("GET", "/facilities", who="viewer").json()["total"] == 0
    assert api("GET", "/facilities", who="other").json()["total"] == 1
    assert api("GET", "/areas/210402/statistics", who="viewer").status_code == 403


def test_lists_page_and_filter(api):
    for n in range(7):
        api("POST", "/facilities", json=facility(name=f"日间照料中心 {n}"))
    api("POST", "/facilities", json=facility(kind="canteen", name="社区老年食堂", capacity={"canteen_seats": 40}))
    first = api("GET", "/facilities", params={"limit": 3, "offset": 0, "kind": "day_care_centre"}).json()
    second = api("GET", "/facilities", params={"limit": 3, "offset": 3, "kind": "day_care_centre"}).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (7, 3, 3)
    assert not {i["facility_id"] for i in first["items"]} & {i["facility_id"] for i in second["items"]}
    bad = api("GET", "/facilities", params={"limit": 0})
    assert bad.status_code == 400 and "query.limit" in bad.json()["error"]["fields"]


def test_elders_are_shown_masked_and_statistics_count_them(api):
    body = {"id_number": make_id(), "name": "王秀英", "sex": "male", "birth_date": "1940-01-01",
            "home_area_code": "210402003001", "household": ["empty_nest"]}
    created = api("POST", "/elders", who="operator", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["id_number_masked"] == "2104**********" + make_id()[-4:]
    assert make_id() not in created.text
    elder_id = created.json()["elder_id"]
    assessed = api("POST", f"/elders/{elder_id}/assess", who="operator", json={
        "level": "partly_disabled", "severity": "moderate", "assessed_on": "2024-01-01",
        "valid_until": "2025-01-01", "assessor": "评估员 李"})
    assert assessed.json()["assessment_valid_until"] == "2025-01-01" and assessed.json()["assessment_expired"] is True
    assert assessed.json()["age_band"] == "80+"
    expired = api("GET", "/elders", params={"assessment_expired_on": "2026-11-23"}).json()
    assert [e["elder_id"] for e in expired["items"]] == [elder_id]
    stats = api("GET", "/areas/210402/statistics", params={"as_of": "2026-11-23"}).json()
    assert stats["elders"] == {"60+": 1, "80+": 1, "100+": 0}


def test_an_import_outside_the_tokens_area_is_refused_whole(api, node):
    head = store_head(node)
    rows = [{"code": "210403", "name": "东洲区", "tier": "district", "parent": "2104"},
            {"code": "210402005", "name": "新街道", "tier": "town", "parent": "210402"}]
    assert api("POST", "/areas/import", json={"rows": rows}).status_code == 403
    bad = api("POST", "/areas/import", json={"rows": [{"code": "21040299", "name": "x", "tier": "town",
                                                       "parent": "210402"}]})
    assert bad.status_code == 409 and "row 1, code" in bad.json()["error"]["message"]
    assert store_head(node) == head


def test_the_openapi_document_has_the_registry(api, web_session):
    document = web_session.get("/api/v1/openapi.json").json()
    assert f"{API}/facilities" in document["paths"] and f"{API}/elders/{{elder_id}}/assess" in document["paths"]


def test_ids_are_uuids_and_moves_stay_inside_the_scope(api, node):
    body = {"id_number": make_id("19380505", "021"), "name": "李桂兰", "sex": "male", "birth_date": "1938-05-05",
            "home_area_code": "210402003001"}
    as_id = api("POST", "/elders", who="operator", json={**body, "elder_id": make_id("19380505", "021")})
    assert as_id.status_code == 400 and "body.elder_id" in as_id.json()["error"]["fields"]
    elder_id = api("POST", "/elders", who="operator", json=body).json()["elder_id"]
    head = store_head(node)
    moved_out = api("POST", f"/elders/{elder_id}/move", who="operator", json={"home_area_code": "210402004001"})
    assert moved_out.status_code == 403 and store_head(node) == head
    assert api("POST", f"/elders/{elder_id}/move", json={"home_area_code": "210402004001"}).status_code == 200
    assert api("GET", f"/elders/{elder_id}", who="operator").status_code == 404  # now outside its area
