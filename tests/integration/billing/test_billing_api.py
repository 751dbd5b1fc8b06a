"""Billing through the node's HTTP API: real HTTP, gateway, tokens, broker and the registry's and
booking's events. A policy file in YAML is loaded, checked (overlapping or contradictory versions
refused, naming the field) and read back; a delivery is previewed, claimed, reviewed; the month's
statement is exported as CSV whose lines add up to its total; budgets show spend to date; a closed
statement is approved by town, district and city in that order and locked; scopes hold: nothing
outside the token's area is seen or written."""
import pytest
import requests

from shared.node_service import NodeService
from shared.token_admin import issue_token
from services.billing.service import BillingService
from services.booking.service import BookingService
from services.registry.service import RegistryService
from tests.integration.billing.builders import (claim_of, deliver_meal, knows_elder, register_canteen, register_elder,
                                                statement_of, this_month)
from tests.integration.booking.builders import TREE
from tests.support.broker import wait_for
from tests.support.nodes import call

API = "/api/v1/billing"
DISTRICT, TOWN, VILLAGE = "210402", "210402003", "210402003001"
POLICY_YAML = """
policies:
  - id: xinfu-home-care
    version: 1
    name: 新抚区政府购买居家养老服务
    set_by: "210402"
    eligible:
      - {min_age: 60, disability_levels: [partly_disabled, fully_disabled]}
      - {min_age: 80}
    services:
      meals: {unit: meals, rate_fen: 1200}
    monthly_cap_fen: 40000
    copay_share: 10%
    budget_line: home-care-purchase
    effective_from: 2026-01-01
"""
SECOND_VERSION_BACKDATED = POLICY_YAML + """
  - id: xinfu-home-care
    version: 2
    name: 新抚区政府购买居家养老服务
    set_by: "210402"
    eligible: [{min_age: 80}]
    services:
      meals: {unit: meals, rate_fen: 1500}
    copay_share: 0.2
    budget_line: home-care-purchase
    effective_from: 2026-02-01
"""
OVERLAPPING = POLICY_YAML + """
  - id: xinfu-meals
    version: 1
    name: 助餐补贴
    set_by: "210402"
    eligible: [{min_age: 70}]
    services:
      meals: {unit: meals, rate_fen: 500}
    budget_line: meals
    effective_from: 2026-06-01
"""


@pytest.fixture
def node(container_factory, web_node_config):
    containers = {service.name: container_factory(service, web_node_config)
                  for service in (NodeService, BillingService, BookingService, RegistryService)}
    for container in containers.values():
        container.start()
    call(containers["registry"], "import_areas", TREE)
    return containers


@pytest.fixture
def api(node, web_node_config):
    tokens = {name: issue_token(web_node_config, area, role, label=name)[0]
              for name, area, role in (("district", DISTRICT, "admin"), ("town", TOWN, "operator"),
                                       ("viewer", TOWN, "viewer"), ("neighbour", "210402004", "operator"))}
    base = f"http://{web_node_config['WEB_SERVER_ADDRESS']}{API}"

    def request(method, path, who="town", **kwargs):
        return requests.request(method, base + path, headers={"Authorization": f"Bearer {tokens[who]}"},
                                timeout=30, **kwargs)
    return request


def fields_of(answer):
    return set(answer.json()["error"]["fields"])


def test_a_yaml_policy_file_is_loaded_checked_and_read_back(api):
    loaded = api("POST", "/policies", who="district", json={"document": POLICY_YAML})
    assert loaded.status_code == 201, loaded.text
    assert loaded.json() == {"set_by": DISTRICT, "published": ["xinfu-home-care v1"], "already_published": []}
    again = api("POST", "/policies", who="district", json={"document": POLICY_YAML})
    assert again.json()["published"] == [] and again.json()["already_published"] == ["xinfu-home-care v1"]

    overlapping = api("POST", "/policies", who="district", json={"document": OVERLAPPING})
    assert overlapping.status_code == 400 and fields_of(overlapping) == {"body.policies[1].rates"}
    assert "a service has one policy per area at a time" in overlapping.text
    backdated = api("POST", "/policies", who="district", json={"document": SECOND_VERSION_BACKDATED})
    assert backdated.status_code == 409 and fields_of(backdated) == {"body.policies[1].effective_from"}
    bad_rate = api("POST", "/policies", who="district",
                   json={"document": POLICY_YAML.replace("rate_fen: 1200", "rate_fen: ten")})
    assert bad_rate.status_code == 400 and fields_of(bad_rate) == {"body.policies[0].services.meals.rate_fen"}
    assert api("POST", "/policies", who="district", json={"document": "policies: [oops"}).status_code == 400
    assert api("POST", "/policies", who="town", json={"document": POLICY_YAML}).status_code == 403  # not an admin

    read = api("GET", "/policies", who="viewer")
    assert read.status_code == 200
    [policy] = read.json()
    assert (policy["policy_id"], policy["version"], policy["set_by"], policy["copay_share"]) == \
           ("xinfu-home-care", 1, DISTRICT, "0.1")
    assert policy["rates"] == [{"service": "meals", "unit": "meals", "rate_fen": 1200}]
    assert api("GET", "/policies", who="viewer", params={"on": "2025-12-31"}).json() == []


def test_a_delivery_is_previewed_claimed_reviewed_and_exported(api, node):
    assert api("POST", "/policies", who="district", json={"document": POLICY_YAML}).status_code == 201
    preview = api("POST", "/policies/preview", who="viewer", json={
        "elder": {"birth_date": "1940-01-01", "home_area_code": VILLAGE, "disability_level": "partly_disabled",
                  "disability_severity": "moderate"},
        "area_code": TOWN, "service": "meals", "service_date": "2026-11-20", "units": 3, "unit": "meals"})
    assert preview.status_code == 200, preview.text
    assert preview.json()["eligible"] and preview.json()["line"]["subsidy_fen"] == 3240
    young = api("POST", "/policies/preview", who="viewer", json={
        "elder": {"birth_date": "1990-01-01", "home_area_code": VILLAGE}, "area_code": TOWN, "service": "meals",
        "service_date": "2026-11-20", "units": 1, "unit": "meals"}).json()
    assert (young["eligible"], young["reason"]) == (False, "age")
    neither = api("POST", "/policies/preview", who="viewer", json={
        "area_code": TOWN, "service": "meals", "service_date": "2026-11-20", "units": 1, "unit": "meals"})
    assert neither.status_code == 400 and fields_of(neither) == {"body.elder_id"}

    year = int(this_month()[:4])
    allocated = api("POST", "/budgets", who="district", json={
        "area_code": DISTRICT, "budget_line": "home-care-purchase", "year": year, "amount_fen": 100_000})
    assert allocated.status_code == 201 and allocated.json()["spent_fen"] == 0, allocated.text
    registry, booking, billing = node["registry"], node["booking"], node["billing"]
    elder_id = register_elder(registry, VILLAGE)
    canteen = register_canteen(registry, booking, TOWN)
    wait_for(lambda: knows_elder(billing, elder_id, TOWN), message="billing to know the elder")
    booking_id = deliver_meal(booking, canteen, elder_id)
    wait_for(lambda: claim_of(billing, booking_id), message="the claim")

    listed = api("GET", "/claims", who="viewer").json()
    assert [c["booking_id"] for c in listed["items"]] == [booking_id] and listed["total"] == 1
    assert api("GET", "/claims", who="neighbour").json()["total"] == 0
    assert api("GET", "/claims", who="viewer", params={"area_code": DISTRICT}).status_code == 403
    assert api("GET", f"/claims/{booking_id}", who="neighbour").status_code == 404
    assert api("POST", f"/claims/{booking_id}/approve", who="neighbour", json={"by": "x"}).status_code == 404
    assert api("POST", f"/claims/{booking_id}/approve", who="viewer", json={"by": "x"}).status_code == 403
    early = api("POST", f"/claims/{booking_id}/approve", json={"by": "王"})
    assert early.status_code == 409 and "submit the claim before review" in early.text
    assert api("POST", f"/claims/{booking_id}/submit", json={}).status_code == 400  # who submits?
    assert api("POST", f"/claims/{booking_id}/submit", json={"by": "张"}).json()["status"] == "submitted"
    approved = api("POST", f"/claims/{booking_id}/approve", who="district", json={"by": "新抚区民政局 李"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    month = this_month()
    wait_for(lambda: statement_of(billing, TOWN, month), message="the town's statement")
    exported = api("GET", f"/statements/{TOWN}/{month}/csv", who="viewer").json()
    rows = [row.split(",") for row in exported["csv"].strip().split("\r\n")]
    assert rows[0][:2] == ["line_key", "booking_id"] and rows[1][1] == booking_id
    assert (rows[1][9], rows[1][10], rows[-1][0], rows[-1][9]) == ("10.80", "1.20", "total", "10.80")
    assert api("GET", f"/statements/{DISTRICT}/{month}", who="viewer").status_code == 403
    listed = api("GET", "/statements", who="district", params={"month": month}).json()
    assert {s["area_code"] for s in listed["items"]} == {DISTRICT, TOWN}  # those inside the token's area
    summary = api("GET", "/summary", who="district", params={"month": month}).json()
    assert summary["statement"]["subsidy_fen"] == 1080
    assert [(a["area_code"], a["subsidy_fen"]) for a in summary["areas"]] == [(TOWN, 1080)]
    assert summary["claims"] == [{"status": "approved", "count": 1, "subsidy_fen": 1080}]

    closing = api("POST", f"/statements/{TOWN}/{month}/close")
    assert closing.status_code == 409 and fields_of(closing) == {"key.month"}  # the month is not over

    year = int(month[:4])
    wait_for(lambda: api("GET", "/budgets", who="district", params={"year": year}).json()[0]["spent_fen"] == 1080,
             message="the spend in the budget")
    budget = api("GET", "/budgets", who="district", params={"year": year}).json()[0]
    assert (budget["allocated_fen"], budget["remaining_fen"], budget["warnings"]) == (100_000, 98_920, [])
    zero = api("POST", "/budgets", who="district", json={"area_code": DISTRICT, "budget_line": "x", "year": year,
                                                         "amount_fen": 0})
    assert zero.status_code == 400 and fields_of(zero) == {"body.amount_fen"}


def test_a_closed_statement_is_approved_town_then_district_then_city_and_locked(api, node):
    month = previous_month(this_month())
    path = f"/statements/{TOWN}/{month}"
    assert api("POST", path + "/approve", json={"approver": "王"}).status_code == 409  # not closed yet
    closed = api("POST", path + "/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    early = api("POST", path + "/approve", who="district", json={"approver": "李"})
    assert early.status_code == 409 and fields_of(early) == {"tier"} and "the town approves next" in early.text
    assert api("POST", path + "/approve", who="neighbour", json={"approver": "赵"}).status_code == 403
    for who in ("town", "district"):  # each at its tier: the token's area says which
        answer = api("POST", path + "/approve", who=who, json={"approver": f"{who} 审核人"})
        assert answer.status_code == 200, answer.text
    assert api("GET", path, who="viewer").json()["status"] == "closed"
    # The city's token is issued at the city's node (the request would be forwarded here); over RPC:
    call(node["billing"], "approve_statement", TOWN, month, {"approver": "市民政局", "approver_area": "2104"})
    locked = api("GET", path, who="viewer").json()
    assert locked["status"] == "locked"
    assert [(a["tier"], a["area_code"]) for a in locked["approvals"]] == [
        ("town", TOWN), ("district", DISTRICT), ("city", "2104")]
    assert api("POST", path + "/approve", json={"approver": "王"}).json()["status"] == "locked"  # again: nothing


def previous_month(month):
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
