"""The node's HTTP gateway over real HTTP, in front of a domain service on the real broker.

The node service (gateway + tokens) and a test service named ``registry``
(tests/support/ward_api_service.py) run in nameko containers; tokens are made as the CLI makes
them (shared/token_admin.py), straight into the node's store.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from nameko.rpc import rpc

from shared import gateway
from shared.db import make_engine
from shared.events import utcnow
from shared.node import database_url
from shared.node_service import NodeService
from shared.store import EventStore
from shared.token_admin import issue_token, revoke_token
from tests.support.ward_api_service import WardApiService

WARDS = "/api/v1/registry/wards"


@pytest.fixture
def config(web_node_config):
    return web_node_config


@pytest.fixture
def tokens(config):
    """One token per use: {name: token string}."""
    made = {}
    for name, area, role in (("admin", "210402", "admin"), ("operator", "210402003", "operator"),
                             ("viewer", "210402003", "viewer"), ("street4", "210402004", "operator")):
        made[name], _ = issue_token(config, area, role, label=name)
    return made


@pytest.fixture
def node(container_factory, config, tokens):
    for service in (NodeService, WardApiService):
        container_factory(service, config).start()
    return config


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def head_of(config, service):
    engine = make_engine(database_url(config, service))
    try:
        return EventStore(engine).head_position()
    finally:
        engine.dispose()


def error_of(response, status):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.json()["error"]


def test_healthz_needs_no_token(node, web_session):
    response = web_session.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "node": "xinfu", "tier": "district", "area_code": "210402"}


def test_a_request_without_a_good_token_is_refused_with_401(node, web_session, tokens):
    other_id = tokens["viewer"].split(".")[0]
    for headers, message in (
        ({}, "missing 'Authorization: Bearer <token>' header"),
        ({"Authorization": f"Basic {tokens['viewer']}"}, "must be 'Bearer <token>'"),
        (bearer("letmein"), "not an eldernet API token"),
        (bearer("eln_0123456789abcdef." + "A" * 43), "unknown API token"),
        (bearer(f"{other_id}." + "A" * 43), "unknown API token"),  # a real id with the wrong secret
    ):
        response = web_session.get(WARDS, headers=headers)
        error = error_of(response, 401)
        assert error["code"] == "unauthorized" and message in error["message"], error
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="eldernet"'


def test_revoked_and_expired_tokens_are_refused(node, web_session, tokens):
    assert web_session.get(WARDS, headers=bearer(tokens["viewer"])).status_code == 200
    token_id = tokens["viewer"][len("eln_"):].split(".")[0]
    revoke_token(node, token_id, reason="laptop lost")  # as `eldernet token revoke` does, the node running
    error = error_of(web_session.get(WARDS, headers=bearer(tokens["viewer"])), 401)
    assert error["message"] == f"API token {token_id} has been revoked"

    expired, record = issue_token(node, "210402", "admin", expires_in_days=1, now=utcnow() - timedelta(days=2))
    error = error_of(web_session.get(WARDS, headers=bearer(expired)), 401)
    assert error["message"].startswith(f"API token {record.token_id} expired at ")


def test_writes_outside_the_area_or_by_a_viewer_are_forbidden_and_store_nothing(node, web_session, tokens):
    before = head_of(node, "registry")
    outside = web_session.post(WARDS, headers=bearer(tokens["operator"]),
                               json={"ward_id": "w1", "area_code": "210402004001", "beds": 2})
    assert "outside this token's area 210402003" in error_of(outside, 403)["message"]
    by_viewer = web_session.post(WARDS, headers=bearer(tokens["viewer"]),
                                 json={"ward_id": "w1", "area_code": "210402003001", "beds": 2})
    assert error_of(by_viewer, 403)["message"] == "POST /wards needs the operator role or higher; this token's role is viewer"
    invalid = web_session.post(WARDS, headers=bearer(tokens["operator"]), json={"ward_id": "w1", "beds": "two"})
    assert error_of(invalid, 400)["fields"].keys() == {"body.area_code", "body.beds"}
    assert head_of(node, "registry") == before  # nothing recorded for a refused request


def test_per_field_messages_for_a_bad_body_query_or_json(node, web_session, tokens):
    headers = bearer(tokens["operator"])
    error = error_of(web_session.post(WARDS, headers=headers, json={"beds": 0, "area_code": "21x"}), 400)
    assert error["code"] == "bad_request"
    assert error["fields"] == {"body.ward_id": ["Missing data for required field."],
                               "body.area_code": ["not a GB/T 2260 area code"],
                               "body.beds": ["Must be greater than or equal to 1 and less than or equal to 500."]}
    error = error_of(web_session.get(WARDS, headers=headers, params={"limit": 0, "colour": "red"}), 400)
    assert set(error["fields"]) == {"query.limit", "query.colour"}
    error = error_of(web_session.post(WARDS, headers=headers, data=b'{"ward_id": ',
                                      ), 400)
    assert list(error["fields"]) == ["body"] and error["fields"]["body"][0].startswith("not valid JSON")
    error = error_of(web_session.post(WARDS, headers=headers, data=b"x" * (1024 * 1024 + 1)), 413)
    assert error["code"] == "payload_too_large"
    chunks = (b"x" * 65536 for _ in range(17))  # chunked: no Content-Length to refuse it by
    assert error_of(web_session.post(WARDS, headers=headers, data=chunks), 413)["code"] == "payload_too_large"


def test_a_chunked_body_is_read(node, web_session, tokens):
    chunks = iter([b'{"ward_id": "w-chunked", ', b'"area_code": "210402003", "beds": 3}'])
    created = web_session.post(WARDS, headers=bearer(tokens["operator"]), data=chunks)
    assert created.status_code == 201, created.text
    assert created.json()["ward_id"] == "w-chunked"


def test_unknown_paths_methods_and_services(node, web_session, tokens):
    headers = bearer(tokens["admin"])
    assert error_of(web_session.get("/api/v1/registry/beds", headers=headers), 404)["message"] == \
        "registry has no operation at /beds"
    response = web_session.delete(WARDS, headers=headers)
    assert error_of(response, 405)["message"] == "DELETE is not allowed on /wards; allowed: GET, POST"
    assert response.headers["Allow"] == "GET, POST"
    assert "no service 'kitchen'" in error_of(web_session.get("/api/v1/kitchen/x", headers=headers), 404)["message"]
    assert error_of(web_session.get("/api/v1/booking/bookings", headers=headers), 503)["message"] == \
        "the booking service is not running on this node"
    assert error_of(web_session.get("/elsewhere"), 404)["code"] == "not_found"
    for path in ("/healthz", "/api/v1/openapi.json"):
        response = web_session.post(path, json={})
        assert error_of(response, 405)["code"] == "method_not_allowed" and response.headers["Allow"] == "GET"


def test_a_service_that_does_not_answer_is_a_504(node, web_session, tokens, monkeypatch, rabbit_config):
    """A service that ran once leaves its RPC queue behind: a request would wait forever."""
    from kombu import Connection, Exchange, Queue

    with Connection(rabbit_config["AMQP_URI"]) as conn:
        Queue("rpc-alerts", Exchange("nameko-rpc", type="topic", durable=True), routing_key="alerts.*",
              durable=True)(conn.default_channel).declare()
    monkeypatch.setattr(gateway, "RPC_TIMEOUT", 0.3)
    error = error_of(web_session.get("/api/v1/alerts/alerts", headers=bearer(tokens["admin"])), 504)
    assert error["message"] == "the alerts service did not answer within 0.3 s"


class BookingWithoutApi:
    """A running domain service that has not declared an HTTP API (yet)."""

    name = "booking"

    @rpc
    def ping(self):
        return "pong"


def test_a_running_service_without_an_http_api(node, web_session, tokens, container_factory):
    container_factory(BookingWithoutApi, node).start()
    error = error_of(web_session.get("/api/v1/booking/bookings", headers=bearer(tokens["admin"])), 404)
    assert error["message"] == "the booking service has no HTTP API"
    paths = web_session.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/registry/wards" in paths and not any("/booking" in path for path in paths)


def test_open_list_and_page_through_wards(node, web_session, tokens):
    headers = bearer(tokens["operator"])
    for number in (3, 1, 2):
        created = web_session.post(WARDS, headers=headers,
                                   json={"ward_id": f"新抚-{number}", "area_code": "210402003001", "beds": 1})
        assert created.status_code == 201, created.text
    assert created.json() == {"ward_id": "新抚-2", "area_code": "210402003001", "beds": 1, "residents": 0}
    web_session.post(WARDS, headers=bearer(tokens["street4"]),
                     json={"ward_id": "s4", "area_code": "210402004001", "beds": 1})

    first = web_session.get(WARDS, headers=headers, params={"limit": 2}).json()
    assert [w["ward_id"] for w in first["items"]] == ["新抚-1", "新抚-2"]
    assert (first["total"], first["limit"], first["offset"]) == (3, 2, 0)  # s4 is in another street
    rest = web_session.get(WARDS, headers=headers, params={"limit": 2, "offset": 2}).json()
    assert [w["ward_id"] for w in rest["items"]] == ["新抚-3"]
    everything = web_session.get(WARDS, headers=bearer(tokens["admin"])).json()
    assert everything["total"] == 4 and everything["limit"] == 50

    one = web_session.get(f"{WARDS}/新抚-1", headers=bearer(tokens["viewer"]))
    assert one.json()["ward_id"] == "新抚-1" and "新抚-1" in one.content.decode("utf-8")
    assert error_of(web_session.get(f"{WARDS}/s4", headers=headers), 403)["code"] == "forbidden"
    assert error_of(web_session.get(f"{WARDS}/nope", headers=headers), 404)["message"] == "no ward 'nope'"


def test_a_domain_refusal_is_a_409_naming_the_field(node, web_session, tokens):
    headers = bearer(tokens["operator"])
    web_session.post(WARDS, headers=headers, json={"ward_id": "w1", "area_code": "210402003", "beds": 1})
    assert web_session.post(f"{WARDS}/w1/admissions", headers=headers, json={"elder_id": "e1"}).json()["residents"] == 1
    full = web_session.post(f"{WARDS}/w1/admissions", headers=headers, json={"elder_id": "e2"})
    assert error_of(full, 409) == {"code": "rejected", "message": "no free bed", "fields": {"ward_id": ["no free bed"]}}
    again = web_session.post(WARDS, headers=headers, json={"ward_id": "w1", "area_code": "210402003", "beds": 1})
    assert error_of(again, 409)["fields"] == {"ward_id": ["the ward is already open"]}


def test_openapi_json_merges_the_running_services(node, web_session):
    document = web_session.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert {"/healthz", "/api/v1/openapi.json", "/api/v1/node/status", "/api/v1/node/tokens",
            "/api/v1/registry/wards", "/api/v1/registry/wards/{ward_id}"} <= set(paths)
    assert not any(path.startswith("/api/v1/booking") for path in paths)  # not running here
    post = paths["/api/v1/registry/wards"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/registry.OpenWardBody"}
    assert set(post["responses"]) == {"201", "400", "401", "403", "404", "409"}
    assert post["security"] == [{"bearer": []}] and paths["/healthz"]["get"]["security"] == []
    assert {"Error", "registry.Ward", "node.Token"} <= set(document["components"]["schemas"])
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_node_lists_its_tokens_to_an_admin_without_secrets(node, web_session, tokens):
    listed = web_session.get("/api/v1/node/tokens", headers=bearer(tokens["admin"]), params={"limit": 3})
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["total"] == 4 and len(page["items"]) == 3
    assert {"token_id", "label", "area_code", "role", "expires_at", "issued_at", "state"} == set(page["items"][0])
    for token in tokens.values():
        assert token.split(".")[1] not in listed.text
    assert error_of(web_session.get("/api/v1/node/tokens", headers=bearer(tokens["operator"])), 403)["code"] == "forbidden"
    status = web_session.get("/api/v1/node/status", headers=bearer(tokens["viewer"])).json()
    assert status["node"] == "xinfu" and status["head_position"] >= 4


def test_the_token_secret_is_never_stored(node, tokens):
    engine = make_engine(database_url(node, "node"))
    try:
        with engine.connect() as conn:
            dumped = "\n".join(str(tuple(row)) for table in ("events", "api_tokens")
                               for row in conn.execute(sa.text(f"SELECT * FROM {table}")))
    finally:
        engine.dispose()
    for token in tokens.values():
        assert token.split(".")[1] not in dumped and token.split(".")[0][len("eln_"):] in dumped
