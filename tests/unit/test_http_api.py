"""HttpApi with a plain object for a service: matching, roles, validation, error mapping, pages, OpenAPI."""
import pytest
from marshmallow import Schema, fields, validate

from shared.aggregate import Rejected
from shared.http_api import (ApiError, BadRequest, Forbidden, HttpApi, NotFound, Operation, Page, PageQuerySchema,
                             Principal)
from shared.openapi import merge_documents
from shared.schemas import PayloadError
from shared.store import ConcurrencyError

ADMIN = Principal("t-admin", "2104", "admin")
OPERATOR = Principal("t-op", "210402", "operator")
VIEWER = Principal("t-view", "210402", "viewer")


class BedsBody(Schema):
    facility_id = fields.String(required=True)
    area_code = fields.String(required=True)
    beds = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class FacilityQuery(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(["nursing_home", "day_care"]))


class FacilitySchema(Schema):
    facility_id = fields.String()
    area_code = fields.String()
    beds = fields.Integer()


API = HttpApi("registry", [
    Operation("GET", "/facilities", "list_facilities", query=FacilityQuery, response=FacilitySchema, paginated=True),
    Operation("POST", "/facilities", "register", role="operator", body=BedsBody, response=FacilitySchema, status=201),
    Operation("GET", "/facilities/{facility_id}", "get_facility", response=FacilitySchema, summary="One facility"),
    Operation("DELETE", "/facilities/{facility_id}", "close", role="admin"),
    Operation("POST", "/facilities/{facility_id}/fail", "fail", role="operator"),
])


class FakeRegistry:
    """Stands in for the nameko service: the handlers HttpApi calls, over a dict."""

    def __init__(self):
        self.facilities = {f"f{i}": {"facility_id": f"f{i}", "area_code": "210402003", "beds": i, "secret": "x"}
                           for i in range(5)}
        self.calls = []
        self.failure = None

    def list_facilities(self, principal, params, query, body):
        self.calls.append(("list", query))
        items = [f for f in self.facilities.values() if principal.can_read(f["area_code"])]
        return Page(items[query["offset"]:query["offset"] + query["limit"]], len(items), query["limit"], query["offset"])

    def register(self, principal, params, query, body):
        principal.require_write(body["area_code"])
        self.facilities[body["facility_id"]] = body
        return body

    def get_facility(self, principal, params, query, body):
        found = self.facilities.get(params["facility_id"])
        if found is None:
            raise NotFound(f"no facility {params['facility_id']}")
        principal.require_read(found["area_code"])
        return found

    def close(self, principal, params, query, body):
        return None

    def fail(self, principal, params, query, body):
        raise self.failure


def call(method, path, principal=OPERATOR, query=None, body=None, service=None):
    request = {"method": method, "path": path, "query": query or {}, "body": body,
               "principal": principal.to_dict() if isinstance(principal, Principal) else principal}
    return API.dispatch(service or FakeRegistry(), request)


def error(response, status):
    assert response["status"] == status, response
    return response["body"]["error"]


# -- Principal ---------------------------------------------------------------------------------------
def test_a_principal_reads_inside_its_area_and_writes_there_from_operator_up():
    assert OPERATOR.can_read("210402") and OPERATOR.can_read("210402003001")
    assert not OPERATOR.can_read("210403") and not OPERATOR.can_read("2104")  # the city is above it
    assert OPERATOR.can_write("210402003") and ADMIN.can_write("210402003")
    assert not VIEWER.can_write("210402003") and not OPERATOR.can_write("210501")
    with pytest.raises(Forbidden, match="only read"):
        VIEWER.require_write("210402")
    with pytest.raises(Forbidden, match="area 210501 is outside this token's area 210402"):
        OPERATOR.require_read("210501")
    assert Principal.from_dict(OPERATOR.to_dict()) == OPERATOR
    with pytest.raises(ValueError, match="role 'boss'"):
        Principal("t", "2104", "boss")
    with pytest.raises(ValueError, match="area_code"):
        Principal("t", "21x", "viewer")


# -- dispatch ---------------------------------------------------------------------------------------
def test_a_matching_operation_gets_its_path_params_and_its_response_schema():
    response = call("GET", "/facilities/f3")
    assert response == {"status": 200, "body": {"facility_id": "f3", "area_code": "210402003", "beds": 3}}
    assert call("GET", "/facilities/f3/")["status"] == 200  # a trailing slash is the same path
    created = call("POST", "/facilities", body={"facility_id": "n1", "area_code": "210402001", "beds": 4})
    assert created == {"status": 201, "body": {"facility_id": "n1", "area_code": "210402001", "beds": 4}}
    assert call("DELETE", "/facilities/f1", principal=ADMIN) == {"status": 200, "body": None}


def test_unknown_paths_are_404_and_wrong_methods_405_with_allow():
    assert error(call("GET", "/wards"), 404) == {"code": "not_found", "message": "registry has no operation at /wards",
                                                 "fields": {}}
    response = call("PUT", "/facilities/f1")
    assert error(response, 405)["message"] == "PUT is not allowed on /facilities/f1; allowed: DELETE, GET"
    assert response["headers"] == {"Allow": "DELETE, GET"}


def test_a_role_below_the_operations_is_403_before_anything_is_validated():
    service = FakeRegistry()
    response = call("POST", "/facilities", principal=VIEWER, body={"junk": True}, service=service)
    assert error(response, 403)["message"] == "POST /facilities needs the operator role or higher; this token's role is viewer"
    assert error(call("DELETE", "/facilities/f1"), 403)["code"] == "forbidden"
    assert error(call("GET", "/facilities", principal={"role": "admin"}), 401)["code"] == "unauthorized"


def test_handlers_check_the_area():
    response = call("POST", "/facilities", body={"facility_id": "n1", "area_code": "210501", "beds": 1})
    assert error(response, 403)["message"] == "area 210501 is outside this token's area 210402"
    assert error(call("GET", "/facilities/f1", principal=Principal("t", "210403", "viewer")), 403)
    assert error(call("GET", "/facilities/nope"), 404)["message"] == "no facility nope"


def test_body_and_query_errors_name_each_field():
    response = call("POST", "/facilities", body={"area_code": "210402", "beds": "4", "colour": "red"})
    assert error(response, 400) == {"code": "bad_request", "message": "invalid body.beds, body.colour, body.facility_id",
                                    "fields": {"body.facility_id": ["Missing data for required field."],
                                               "body.beds": ["Not a valid integer."],
                                               "body.colour": ["Unknown field."]}}
    assert error(call("POST", "/facilities"), 400)["fields"] == {"body": ["a JSON object is required"]}
    assert error(call("POST", "/facilities", body=[1, 2]), 400)["fields"] == {"body": ["expected a JSON object"]}
    assert error(call("GET", "/facilities/f1", body={"x": 1}), 400)["fields"] == {"body": ["GET /facilities/{facility_id} takes no body"]}
    assert error(call("GET", "/facilities/f1", query={"x": "1"}), 400)["fields"] == {"query.x": ["Unknown field."]}
    query_error = error(call("GET", "/facilities", query={"limit": "501", "offset": "-1", "kind": "farm"}), 400)
    assert set(query_error["fields"]) == {"query.limit", "query.offset", "query.kind"}


def test_pages_default_to_50_from_0_and_carry_the_total():
    service = FakeRegistry()
    first = call("GET", "/facilities", query={"limit": "2"}, service=service)
    assert first == {"status": 200, "body": {
        "items": [{"facility_id": "f0", "area_code": "210402003", "beds": 0},
                  {"facility_id": "f1", "area_code": "210402003", "beds": 1}],
        "total": 5, "limit": 2, "offset": 0}}
    last = call("GET", "/facilities", query={"limit": "2", "offset": "4"}, service=service)["body"]
    assert [f["facility_id"] for f in last["items"]] == ["f4"] and last["total"] == 5
    call("GET", "/facilities", service=service)
    assert service.calls[-1] == ("list", {"limit": 50, "offset": 0})


@pytest.mark.parametrize("failure,status,body", [
    (Rejected("no free bed", field="beds"), 409,
     {"code": "rejected", "message": "no free bed", "fields": {"beds": ["no free bed"]}}),
    (Rejected("the facility is closed"), 409, {"code": "rejected", "message": "the facility is closed", "fields": {}}),
    (ConcurrencyError("facility-f1", 3, 4), 409, {"code": "conflict", "fields": {},
     "message": "the record changed while this request was being handled; read it again and retry"}),
    (PayloadError({"beds": ["Must be at least 0."]}, prefix="body."), 400,
     {"code": "bad_request", "message": "invalid body.beds", "fields": {"body.beds": ["Must be at least 0."]}}),
    (BadRequest("elder is too young", fields={"body.birth_date": ["after 1966"]}, code="too_young"), 400,
     {"code": "too_young", "message": "elder is too young", "fields": {"body.birth_date": ["after 1966"]}}),
    (ApiError(418, "teapot", "short and stout"), 418, {"code": "teapot", "message": "short and stout", "fields": {}}),
])
def test_errors_a_caller_can_act_on_become_their_status(failure, status, body):
    service = FakeRegistry()
    service.failure = failure
    assert call("POST", "/facilities/f1/fail", service=service) == {"status": status, "body": {"error": body}}


def test_anything_else_is_a_bug_and_propagates():
    service = FakeRegistry()
    service.failure = KeyError("oops")
    with pytest.raises(KeyError):
        call("POST", "/facilities/f1/fail", service=service)


def test_operations_are_checked_when_declared():
    with pytest.raises(ValueError, match="must inherit PageQuerySchema"):
        Operation("GET", "/x", "x", query=BedsBody, paginated=True)
    with pytest.raises(ValueError, match="method 'FETCH'"):
        Operation("FETCH", "/x", "x")
    with pytest.raises(ValueError, match="role 'root'"):
        Operation("GET", "/x", "x", role="root")
    with pytest.raises(ValueError, match="declared twice"):
        HttpApi("s", [Operation("GET", "/x", "a"), Operation("get", "/x", "b")])
    assert isinstance(Operation("GET", "/x", "x", paginated=True).query, PageQuerySchema)


# -- OpenAPI ----------------------------------------------------------------------------------------
def test_the_openapi_description_of_a_service():
    paths, components = API.openapi_paths(), API.openapi_components()
    assert set(paths) == {"/api/v1/registry/facilities", "/api/v1/registry/facilities/{facility_id}",
                          "/api/v1/registry/facilities/{facility_id}/fail"}
    listing = paths["/api/v1/registry/facilities"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "offset", "kind"}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/registry.Facility"}
    assert set(listing["responses"]) == {"200", "400", "401", "403", "404", "409"}
    assert listing["responses"]["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert listing["security"] == [{"bearer": []}]
    one = paths["/api/v1/registry/facilities/{facility_id}"]["get"]
    assert one["parameters"] == [{"in": "path", "name": "facility_id", "required": True, "schema": {"type": "string"}}]
    assert one["summary"] == "One facility" and one["operationId"] == "registry.get_facility"
    post = paths["/api/v1/registry/facilities"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/registry.BedsBody"}
    assert "201" in post["responses"] and "needs a token with role operator" in post["description"].lower()
    assert {"Error", "ErrorDetail", "registry.Facility", "registry.BedsBody"} == set(components["schemas"])
    assert components["schemas"]["ErrorDetail"]["properties"]["fields"]["type"] == "object"
    assert components["securitySchemes"]["bearer"] == {**components["securitySchemes"]["bearer"], "type": "http",
                                                       "scheme": "bearer"}


def test_documents_of_several_services_merge_into_one():
    other = HttpApi("booking", [Operation("GET", "/bookings/{booking_id}", "get_booking", response=FacilitySchema)])
    document = merge_documents("eldernet node xinfu", "0.1.0", [API.openapi(), other.openapi()])
    assert document["openapi"] == "3.0.3" and document["info"]["title"] == "eldernet node xinfu"
    assert {"/healthz", "/api/v1/openapi.json", "/api/v1/registry/facilities", "/api/v1/booking/bookings/{booking_id}"} \
        <= set(document["paths"])
    assert {"registry.Facility", "booking.Facility", "Error"} <= set(document["components"]["schemas"])
    assert document["security"] == [{"bearer": []}] and document["paths"]["/healthz"]["get"]["security"] == []
