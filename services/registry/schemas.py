"""marshmallow schemas of the registry: its events (what subscribers receive) and API bodies."""
from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, validate

from shared.http_api import PageQuerySchema
from shared.schemas import EventRegistry, Makes, lowercase_uuid
from services.registry.domain import areas as a, elders as e, facilities as f

PREFIX = "eldernet.registry."
AREA_CODE = validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$", error="a 4, 6, 9 or 12-digit area code")
UUID = lowercase_uuid("a UUID in lower case (ids never carry personal data such as an ID number)")
VILLAGE_CODE = validate.Regexp(r"^[0-9]{12}$", error="a 12-digit village/community code")


def text(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=kwargs.pop("max", 200)), **kwargs)


# -- shared parts -------------------------------------------------------------------------------
class CapacitySchema(Makes):
    make = f.Capacity
    general_beds = fields.Integer(load_default=0, validate=validate.Range(min=0))
    nursing_beds = fields.Integer(load_default=0, validate=validate.Range(min=0))
    day_places = fields.Integer(load_default=0, validate=validate.Range(min=0))
    canteen_seats = fields.Integer(load_default=0, validate=validate.Range(min=0))
    floor_area_m2 = fields.Integer(load_default=0, validate=validate.Range(min=0))


class FamilyContactSchema(Makes):
    make = e.FamilyContact
    name = text(required=True, max=100)
    phone = fields.String(required=True, validate=validate.Regexp(r"^\+?[0-9 -]{5,20}$", error="a phone number"))


# -- events -------------------------------------------------------------------------------------
class AreaRegisteredSchema(Makes):
    make = a.AreaRegistered
    code = fields.String(required=True, validate=AREA_CODE)
    name = text(required=True)
    tier = fields.String(required=True, validate=validate.OneOf(a.TIERS))
    parent_code = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    urban = fields.Boolean(required=True)


class AreaRenamedSchema(Makes):
    make = a.AreaRenamed
    code = fields.String(required=True, validate=AREA_CODE)
    name = text(required=True)


class FacilityFields(Schema):
    facility_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(f.KINDS))
    name = text(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    address = fields.String(load_default="", validate=validate.Length(max=300))
    ownership = fields.String(required=True, validate=validate.OneOf(f.OWNERSHIP))
    operator = fields.String(load_default="", validate=validate.Length(max=200))
    care_type = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(f.CARE_TYPES))
    capacity = fields.Nested(CapacitySchema, required=True)
    services = fields.List(fields.String(validate=validate.OneOf(f.SERVICES)), load_default=list)
    star_rating = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5))


class FacilityRegisteredSchema(FacilityFields, Makes):
    make = f.FacilityRegistered


class FacilityCapacityChangedSchema(Makes):
    make = f.FacilityCapacityChanged
    facility_id = fields.String(required=True)
    capacity = fields.Nested(CapacitySchema, required=True)


class FacilityRatedSchema(Makes):
    make = f.FacilityRated
    facility_id = fields.String(required=True)
    star_rating = fields.Integer(required=True, validate=validate.Range(min=0, max=5))


class FacilityReasonSchema(Makes):
    facility_id = fields.String(required=True)
    reason = text(required=True, max=500)


class FacilitySuspendedSchema(FacilityReasonSchema):
    make = f.FacilitySuspended


class FacilityClosedSchema(FacilityReasonSchema):
    make = f.FacilityClosed


class FacilityMovedSchema(Makes):
    make = f.FacilityMoved
    facility_id = fields.String(required=True)
    from_area_code = fields.String(required=True, validate=AREA_CODE)
    area_code = fields.String(required=True, validate=AREA_CODE)


class FacilityReopenedSchema(Makes):
    make = f.FacilityReopened
    facility_id = fields.String(required=True)


class ResidentSchema(Makes):
    facility_id = fields.String(required=True)
    elder_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ResidentAdmittedSchema(ResidentSchema):
    make = f.ResidentAdmitted


class ResidentDischargedSchema(ResidentSchema):
    make = f.ResidentDischarged


class ElderFields(Schema):
    elder_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = text(required=True, max=100)
    sex = fields.String(required=True, validate=validate.OneOf(e.SEXES))
    birth_date = fields.Date(required=True)
    home_area_code = fields.String(required=True, validate=VILLAGE_CODE)
    household = fields.List(fields.String(validate=validate.OneOf(e.HOUSEHOLD)), load_default=list)
    dementia = fields.Boolean(load_default=False)
    family_contact = fields.Nested(FamilyContactSchema, allow_none=True, load_default=None)


class ElderRegisteredSchema(ElderFields, Makes):
    make = e.ElderRegistered
    id_number_masked = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$"))
    id_number_hash = fields.String(required=True, validate=validate.Length(equal=64))


class AssessmentFields(Schema):
    level = fields.String(required=True, validate=validate.OneOf(e.LEVELS))
    severity = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(e.SEVERITIES))
    assessed_on = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    assessor = text(required=True, max=100)


class DisabilityAssessedSchema(AssessmentFields, Makes):
    make = e.DisabilityAssessed
    elder_id = fields.String(required=True)


class HouseholdChangedSchema(Makes):
    make = e.HouseholdChanged
    elder_id = fields.String(required=True)
    household = fields.List(fields.String(validate=validate.OneOf(e.HOUSEHOLD)), required=True)


class ElderMovedSchema(Makes):
    make = e.ElderMoved
    elder_id = fields.String(required=True)
    from_area_code = fields.String(required=True, validate=VILLAGE_CODE)
    home_area_code = fields.String(required=True, validate=VILLAGE_CODE)


EVENT_SCHEMAS = (
    AreaRegisteredSchema, AreaRenamedSchema, FacilityRegisteredSchema, FacilityCapacityChangedSchema,
    FacilityRatedSchema, FacilitySuspendedSchema, FacilityReopenedSchema, FacilityClosedSchema,
    ResidentAdmittedSchema, ResidentDischargedSchema, ElderRegisteredSchema, DisabilityAssessedSchema,
    HouseholdChangedSchema, ElderMovedSchema, FacilityMovedSchema,
)


def registry_events() -> EventRegistry:
    """Every event type the registry records, by its CloudEvents type."""
    events = EventRegistry()
    for schema in EVENT_SCHEMAS:
        events.register(PREFIX + schema.make.__name__, schema.make, schema())
    return events


# -- API bodies (commands without their time, which the service adds) -----------------------------
class AreaBody(Schema):
    code = fields.String(required=True, validate=AREA_CODE)
    name = text(required=True)
    tier = fields.String(required=True, validate=validate.OneOf(a.TIERS))
    parent_code = fields.String(allow_none=True, load_default=None, validate=AREA_CODE)
    urban = fields.Boolean(load_default=None, allow_none=True)


class FacilityBody(FacilityFields):
    facility_id = fields.String(load_default=None, validate=UUID)


class CapacityBody(Schema):
    capacity = fields.Nested(CapacitySchema, required=True)


class RatingBody(Schema):
    star_rating = fields.Integer(required=True, validate=validate.Range(min=0, max=5))


class FacilityMoveBody(Schema):
    area_code = fields.String(required=True, validate=AREA_CODE,
                              metadata={"description": "the area the facility lies in now (after a split)"})


class ReasonBody(Schema):
    reason = text(required=True, max=500)


class ResidentBody(Schema):
    elder_id = fields.String(required=True, validate=UUID)


class ElderBody(ElderFields):
    elder_id = fields.String(load_default=None, validate=UUID)
    id_number = fields.String(required=True, validate=validate.Length(equal=18, error="18 characters"))


class AssessmentBody(AssessmentFields):
    pass


class HouseholdBody(Schema):
    household = fields.List(fields.String(validate=validate.OneOf(e.HOUSEHOLD)), required=True)


class MoveBody(Schema):
    home_area_code = fields.String(required=True, validate=VILLAGE_CODE)


# -- API answers and queries ----------------------------------------------------------------------
class AreaOut(Schema):
    code = fields.String()
    name = fields.String()
    tier = fields.String()
    parent_code = fields.String(allow_none=True)
    urban = fields.Boolean()


class FacilityOut(Schema):
    facility_id = fields.String()
    kind = fields.String()
    name = fields.String()
    area_code = fields.String()
    address = fields.String()
    ownership = fields.String()
    operator = fields.String()
    care_type = fields.String(allow_none=True)
    capacity = fields.Method("_capacity")
    services = fields.List(fields.String())
    star_rating = fields.Integer()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    residents = fields.Integer()

    def _capacity(self, row):
        return {k: row[k] for k in ("general_beds", "nursing_beds", "day_places", "canteen_seats", "floor_area_m2")}


class ElderOut(Schema):
    """An elder as the API shows it: the ID number masked, never in full."""

    elder_id = fields.String()
    id_number_masked = fields.String()
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date()
    home_area_code = fields.String()
    household = fields.List(fields.String())
    dementia = fields.Boolean()
    disability_level = fields.String(allow_none=True)
    disability_severity = fields.String(allow_none=True)
    assessed_on = fields.Date(allow_none=True)
    assessment_valid_until = fields.Date(allow_none=True)
    age = fields.Method("_age", metadata={"description": "age today"})
    age_band = fields.Method("_age_band", metadata={"description": "60+, 80+ or 100+ today"})
    assessment_expired = fields.Method("_expired", metadata={"description": "the disability assessment is past its validity"})

    def _age(self, row):
        return e.age_on(_as_date(row["birth_date"]), date.today())

    def _age_band(self, row):
        age = self._age(row)
        return next((band for band, floor in (("100+", 100), ("80+", 80), ("60+", 60)) if age >= floor), None)

    def _expired(self, row):
        until = row.get("assessment_valid_until")
        return None if until is None else _as_date(until) < date.today()


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class AreaImportBody(Schema):
    rows = fields.List(fields.Dict(), required=True, validate=validate.Length(min=1, max=20000))


class AreaQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    tier = fields.String(load_default=None, validate=validate.OneOf(a.TIERS))


class FacilityQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    kind = fields.String(load_default=None, validate=validate.OneOf(f.KINDS))
    status = fields.String(load_default=None, validate=validate.OneOf(("open", "suspended", "closed")))


class ElderQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    assessment_expired_on = fields.Date(load_default=None, metadata={
        "description": "only elders whose disability assessment expired before this date"})


class StatisticsQuery(Schema):
    as_of = fields.Date(load_default=None, metadata={"description": "age bands on this day (default today)"})
