"""Hostile input at the node's HTTP API (real gateway, real broker, real tokens): wrong types,
missing fields, junk bodies, SQL-ish and unusual unicode strings, tokens of the wrong scope,
expired, revoked or forged — each answered with a clear 4xx naming what is wrong, and nothing
stored; text that is merely odd is stored exactly as sent, and the store is intact after all."""
from datetime import timedelta

import pytest

from shared.events import utcnow
from shared.token_admin import issue_token, revoke_token
from tests.e2e.test_registry_api import API, api, config, facility, node, store_head, tokens  # noqa: F401 (fixtures)

WRONG_BODIES = {
    "empty object": ({}, {"body.kind", "body.name", "body.area_code"}),
    "wrong types": (facility(name=123, capacity="lots", services="meals"),
                    {"body.name", "body.capacity", "body.services"}),
    "SQL in a code": (facility(area_code="210402' OR '1'='1"), {"body.area_code"}),
    "unknown field": (facility(owner_password="x"), {"body.owner_password"}),
    "nested junk": (facility(capacity={"day_places": {"$gt": 0}}), {"body.capacity.day_places"}),
    "negative capacity": (facility(capacity={"day_places": -5}), {"body.capacity.day_places"}),
    "a 10 000-character name": (facility(name="院" * 10_000), {"body.name"}),
    "an id that is not a UUID": (facility(facility_id="../../etc/passwd"), {"body.facility_id"}),
}


@pytest.mark.parametrize("case", WRONG_BODIES)
def test_a_wrong_body_is_refused_naming_the_fields_and_nothing_is_stored(api, node, case):
    body, fields = WRONG_BODIES[case]
    head = store_head(node)
    response = api("POST", "/facilities", who="operator", json=body)
    assert response.status_code == 400, response.text
    assert fields <= set(response.json()["error"]["fields"]), response.json()
    assert store_head(node) == head


@pytest.mark.parametrize("raw, content_type", [
    (b"{not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"\xff\xfe\x00garbage", "application/json"),
    (b"kind=day_care_centre", "application/x-www-form-urlencoded"),
])
def test_a_body_that_is_not_a_json_object_is_refused(api, node, tokens, web_session, raw, content_type):
    head = store_head(node)
    response = web_session.post(API + "/facilities", data=raw, headers={
        "Authorization": f"Bearer {tokens['operator']}", "Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]["message"]
    assert store_head(node) == head


@pytest.mark.parametrize("name", [
    "'; DROP TABLE events; --",
    "Robert'); DELETE FROM inbox;--",
    "永安社区日间照料中心 \u202e右到左\u202c",
    "敬老院 👵🏻👴🏽",
    "Ｆｕｌｌ－ｗｉｄｔｈ 养老院",
])
def test_odd_but_valid_text_is_stored_exactly_as_sent_and_harms_nothing(api, node, name):
    created = api("POST", "/facilities", who="operator", json=facility(name=name))
    assert created.status_code == 201, created.text
    read = api("GET", f"/facilities/{created.json()['facility_id']}", who="viewer")
    assert read.json()["name"] == name
    assert api("GET", "/facilities", who="viewer").json()["total"] >= 1  # the tables are all still there


def test_control_characters_in_text_are_refused(api, node):
    head = store_head(node)
    response = api("POST", "/facilities", who="operator", json=facility(name="养老\u0000院"))
    assert response.status_code == 400 and "body.name" in response.json()["error"]["fields"]
    assert store_head(node) == head


def test_tokens_of_the_wrong_scope_expired_revoked_or_forged_are_refused(api, node, config, tokens, web_session):
    head = store_head(node)
    expired, _ = issue_token(config, "210402", "admin", expires_in_days=1, now=utcnow() - timedelta(days=2))
    revoked, record = issue_token(config, "210402", "admin")
    revoke_token(config, record.token_id, reason="laptop lost")
    attempts = {
        "another area's viewer": ({"Authorization": f"Bearer {tokens['other']}"}, 403),
        "viewer writing": ({"Authorization": f"Bearer {tokens['viewer']}"}, 403),
        "expired": ({"Authorization": f"Bearer {expired}"}, 401),
        "revoked": ({"Authorization": f"Bearer {revoked}"}, 401),
        "forged": ({"Authorization": "Bearer eln_" + "A" * 40}, 401),
        "not bearer": ({"Authorization": "Basic YWRtaW46YWRtaW4="}, 401),
        "none": ({}, 401),
    }
    for name, (headers, status) in attempts.items():
        response = web_session.post(API + "/facilities", json=facility(), headers=headers)
        assert response.status_code == status, (name, response.text)
        assert response.json()["error"]["message"], name
    assert store_head(node) == head
