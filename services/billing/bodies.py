"""marshmallow schemas of the billing API: request bodies, queries and answers (api.py uses them).

Money is integer fen in and out (``subsidy_fen``); the CSV export shows yuan with two decimals.
Months are ``YYYY-MM``, days ``YYYY-MM-DD`` (Beijing time).
"""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http_api import PageQuerySchema
from services.billing.domain.policies import HOUSEHOLD, LEVELS, SEVERITIES, UNITS
from services.billing.schemas import AREA_CODE, MONTH, text

CLAIM_STATUSES = ("priced", "not_eligible", "submitted", "approved", "rejected", "paid", "reversed", "withdrawn")
MAX_POLICY_DOCUMENT = 200_000  # characters: a city's whole policy file is a few pages


# -- policies -----------------------------------------------------------------------------------
class PolicyLoadBody(Schema):
    """A policy file: its text (YAML or JSON, as a finance office writes it) or its policies as JSON."""

    document = fields.String(load_default=None, validate=validate.Length(min=1, max=MAX_POLICY_DOCUMENT),
                             metadata={"description": "the file's text, YAML or JSON (policy_file.py's shape)"})
    policies = fields.List(fields.Raw(), load_default=None, metadata={"description": "the policies, as JSON"})

    @validates_schema
    def _one(self, data, **kwargs):
        if (data.get("document") is None) == (data.get("policies") is None):
            raise ValidationError("give either document (YAML or JSON text) or policies", "document")


class PolicyQuery(Schema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    on = fields.Date(load_default=None, metadata={"description": "only the versions in force that day"})


class ElderFacts(Schema):
    """An elder described inline, to preview what a policy would pay for someone like them."""

    birth_date = fields.Date(required=True)
    home_area_code = fields.String(required=True, validate=AREA_CODE)
    disability_level = fields.String(load_default="independent", validate=validate.OneOf(LEVELS))
    disability_severity = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEVERITIES))
    household = fields.List(fields.String(validate=validate.OneOf(HOUSEHOLD)), load_default=list)


class PreviewBody(Schema):
    """A delivery to price without recording anything: for an elder billing knows, or one described."""

    elder_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    elder = fields.Nested(ElderFacts, load_default=None)
    area_code = fields.String(required=True, validate=AREA_CODE, metadata={"description": "where it is delivered"})
    facility_id = fields.String(load_default="preview", validate=validate.Length(min=1, max=64))
    service = text(64, required=True)
    service_date = fields.Date(required=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))

    @validates_schema
    def _who(self, data, **kwargs):
        if (data.get("elder_id") is None) == (data.get("elder") is None):
            raise ValidationError("give either elder_id (an elder billing knows) or elder (described)", "elder_id")


# -- claims -------------------------------------------------------------------------------------
class ClaimQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    status = fields.String(load_default=None, validate=validate.OneOf(CLAIM_STATUSES))
    elder_id = fields.String(load_default=None)
    facility_id = fields.String(load_default=None)
    month = fields.String(load_default=None, validate=MONTH)


class ByBody(Schema):
    by = text(200, required=True, metadata={"description": "who submits or reviews (name or staff number)"})


class RejectClaimBody(ByBody):
    reason = text(required=True)


class PayClaimBody(Schema):
    payment_ref = text(200, required=True, metadata={"description": "the payment's reference at the treasury"})
    paid_on = fields.Date(required=True)


class ReverseClaimBody(Schema):
    reason = text(required=True, metadata={"description": "why the delivery is cancelled (e.g. recorded in error)"})


# -- statements and budgets ---------------------------------------------------------------------
class StatementQuery(PageQuerySchema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    month = fields.String(load_default=None, validate=MONTH)
    facilities = fields.Boolean(load_default=False, metadata={"description": "facilities' statements, not areas'"})


class OneStatementQuery(Schema):
    facility_id = fields.String(load_default=None, metadata={"description": "the facility's statement in that area"})


class ApproveStatementBody(Schema):
    approver = text(200, required=True, metadata={"description": "who approves, for the record"})


class BudgetBody(Schema):
    area_code = fields.String(required=True, validate=AREA_CODE, metadata={"description": "the city or district"})
    budget_line = text(64, required=True)
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=2000, max=2100))
    amount_fen = fields.Integer(required=True, strict=True, metadata={"description": "added; negative for a cut"})

    @validates_schema
    def _not_zero(self, data, **kwargs):
        if data.get("amount_fen") == 0:
            raise ValidationError("must not be zero", "amount_fen")


class BudgetQuery(Schema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    year = fields.Integer(load_default=None)


class SummaryQuery(Schema):
    area_code = fields.String(load_default=None, validate=AREA_CODE)
    month = fields.String(required=True, validate=MONTH)


# -- answers ------------------------------------------------------------------------------------
class PolicyOut(Schema):
    policy_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    set_by = fields.String()
    home_area_prefix = fields.String()
    eligible = fields.List(fields.Dict())
    rates = fields.List(fields.Dict())
    monthly_cap_fen = fields.Integer(allow_none=True)
    copay_share = fields.String()
    budget_line = fields.String()
    effective_from = fields.String()
    effective_to = fields.Date(allow_none=True, metadata={"description": "written, or ended by the next version"})
    written_to = fields.Date(allow_none=True)
    hospital_suspension_days = fields.Integer()
    published_at = fields.AwareDateTime()


class LoadOut(Schema):
    set_by = fields.String()
    published = fields.List(fields.String(), metadata={"description": "the versions published now (id vN)"})
    already_published = fields.List(fields.String())


class PreviewOut(Schema):
    eligible = fields.Boolean()
    line = fields.Dict(allow_none=True)
    reason = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    policy_id = fields.String(allow_none=True)
    policy_version = fields.Integer(allow_none=True)
    claimed_this_month_fen = fields.Integer()


class ClaimOut(Schema):
    booking_id = fields.String()
    revision = fields.Integer()
    status = fields.String(validate=validate.OneOf(CLAIM_STATUSES))
    elder_id = fields.String()
    facility_id = fields.String()
    area_code = fields.String()
    service = fields.String()
    service_date = fields.Date()
    month = fields.String()
    units = fields.Integer()
    unit = fields.String()
    gross_fen = fields.Integer()
    subsidy_fen = fields.Integer()
    copay_fen = fields.Integer()
    capped = fields.Boolean()
    policy_id = fields.String(allow_none=True)
    policy_version = fields.Integer(allow_none=True)
    set_by = fields.String(allow_none=True)
    budget_line = fields.String(allow_none=True)
    not_eligible = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    reviewer = fields.String(allow_none=True)
    payment_ref = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    delivered_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class StatementOut(Schema):
    statement_id = fields.String()
    area_code = fields.String()
    facility_id = fields.String(allow_none=True)
    month = fields.String()
    status = fields.String(metadata={"description": "open, closed or locked"})
    lines = fields.Integer()
    gross_fen = fields.Integer()
    subsidy_fen = fields.Integer()
    copay_fen = fields.Integer()
    adjustments_fen = fields.Integer(metadata={"description": "the part of subsidy_fen for earlier, closed months"})
    approvals = fields.List(fields.Dict())
    closed_on = fields.Date(allow_none=True)
    line_items = fields.List(fields.Dict(), metadata={"description": "the lines, in the order they landed"})


class CsvOut(Schema):
    filename = fields.String()
    content_type = fields.String()
    csv = fields.String()


class BudgetOut(Schema):
    budget_id = fields.String()
    area_code = fields.String()
    budget_line = fields.String()
    year = fields.Integer()
    allocated_fen = fields.Integer()
    spent_fen = fields.Integer()
    remaining_fen = fields.Integer()
    warnings = fields.List(fields.String(), metadata={"description": "shares of the allocation passed (\"0.8\")"})


class SummaryOut(Schema):
    area_code = fields.String()
    month = fields.String()
    statement = fields.Nested(StatementOut, allow_none=True)
    areas = fields.List(fields.Nested(StatementOut))
    claims = fields.List(fields.Dict())
