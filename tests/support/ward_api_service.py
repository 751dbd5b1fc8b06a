"""A domain service with an HTTP API, on the example ward domain, for the gateway's tests.

It is written as a domain service declares its API (docs/api.md): operations as data, a thin
``http`` / ``openapi`` RPC pair, handlers that check the caller's area and call the domain. Its
name is ``registry`` because the gateway forwards only to the four domain services' names; the
tests start it with nameko's ``container_factory``, never through the runner (which would find
the real ``services/registry``).
"""
import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from nameko.rpc import rpc

from shared.dependencies import EventSourced
from shared.events import utcnow
from shared.http_api import HttpApi, NotFound, Operation, Page, PageQuerySchema
from shared.projections import Projection
from tests.support.ward import AdmitElder, OpenWard, ward, ward_events

AREA_CODE = validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$", error="not a GB/T 2260 area code")

# -- a read model with each ward's area ------------------------------------------------------------
metadata = sa.MetaData()
ward_directory = sa.Table(
    "ward_directory", metadata,
    sa.Column("ward_id", sa.String(64), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("beds", sa.Integer, nullable=False),
    sa.Column("residents", sa.Integer, nullable=False),
)


class WardDirectory(Projection):
    name = "ward_directory"
    tables = (ward_directory,)
    handles = frozenset({"eldernet.test.WardOpened", "eldernet.test.ElderAdmitted"})

    def apply(self, conn, event):
        ward_id = event.data["ward_id"]
        if event.type == "eldernet.test.WardOpened":
            conn.execute(ward_directory.insert().values(ward_id=ward_id, area_code=event.area_code,
                                                        beds=event.data["beds"], residents=0))
        else:
            conn.execute(ward_directory.update().where(ward_directory.c.ward_id == ward_id)
                         .values(residents=ward_directory.c.residents + 1))


# -- the API --------------------------------------------------------------------------------------
class OpenWardBody(Schema):
    ward_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    area_code = fields.String(required=True, validate=AREA_CODE)
    beds = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=500))


class AdmissionBody(Schema):
    elder_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class WardQuery(PageQuerySchema):
    area_code = fields.String(validate=AREA_CODE, metadata={"description": "only wards inside this area"})


class WardSchema(Schema):
    ward_id = fields.String()
    area_code = fields.String()
    beds = fields.Integer()
    residents = fields.Integer()


API = HttpApi("registry", [
    Operation("GET", "/wards", "list_wards", query=WardQuery, response=WardSchema, paginated=True,
              summary="Wards inside the caller's area"),
    Operation("POST", "/wards", "open_ward", role="operator", body=OpenWardBody, response=WardSchema, status=201,
              summary="Open a ward"),
    Operation("GET", "/wards/{ward_id}", "get_ward", response=WardSchema, summary="One ward"),
    Operation("POST", "/wards/{ward_id}/admissions", "admit_elder", role="operator", body=AdmissionBody,
              response=WardSchema, summary="Admit an elder to a ward"),
])


class WardApiService:
    name = "registry"
    uow = EventSourced(registry=ward_events(), projections=[WardDirectory()])

    @rpc
    def http(self, request):
        return API.dispatch(self, request)

    @rpc
    def openapi(self):
        return API.openapi()

    def list_wards(self, principal, params, query, body):
        area = query.get("area_code", principal.area_code)
        principal.require_read(area)
        inside = ward_directory.c.area_code.startswith(area)
        with self.uow.read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(ward_directory).where(inside)).scalar_one()
            rows = conn.execute(sa.select(ward_directory).where(inside).order_by(ward_directory.c.ward_id)
                                .limit(query["limit"]).offset(query["offset"])).all()
        return Page([row._mapping for row in rows], total, query["limit"], query["offset"])

    def open_ward(self, principal, params, query, body):
        principal.require_write(body["area_code"])
        with self.uow() as uow:
            uow.execute(ward, body["ward_id"], OpenWard(body["ward_id"], body["beds"], utcnow()),
                        area_code=body["area_code"])
            return _ward(uow.conn, body["ward_id"])

    def get_ward(self, principal, params, query, body):
        with self.uow.read() as conn:
            found = _ward(conn, params["ward_id"])
        principal.require_read(found["area_code"])
        return found

    def admit_elder(self, principal, params, query, body):
        with self.uow() as uow:
            found = _ward(uow.conn, params["ward_id"])
            principal.require_write(found["area_code"])
            uow.execute(ward, params["ward_id"], AdmitElder(params["ward_id"], body["elder_id"], utcnow()),
                        area_code=found["area_code"])
            return _ward(uow.conn, params["ward_id"])


def _ward(conn, ward_id):
    row = conn.execute(sa.select(ward_directory).where(ward_directory.c.ward_id == ward_id)).first()
    if row is None:
        raise NotFound(f"no ward {ward_id!r}")
    return dict(row._mapping)
