"""marshmallow schemas of the billing service's events: what subscribers receive (docs/billing.md).

Four kinds of stream, all written at the home node of their area (single writer):
``subsidy-policies-<set_by>`` (a city's or district's policy book), ``subsidy-claim-<booking id>``
(one delivered booking), ``subsidy-statement-<area>-<YYYY-MM>`` / ``subsidy-statement-facility-<id>-<YYYY-MM>``
(a month's statement) and ``subsidy-budget-<area>-<budget line>-<year>``. Money is integer fen,
shares exact decimals written as text ("0.1"). The API bodies are in bodies.py.
"""
from __future__ import annotations

from marshmallow import fields, validate

from shared.schemas import EventRegistry, Makes
from services.billing.domain import budgets as b, claim_messages as c, statements as s
from services.billing.domain.policies import EligibleGroup, ServiceRate, SubsidyPolicy, UNITS
from services.billing.domain.policy_book import PolicyPublished
from services.billing.domain.pricing import REASONS, ClaimLine, Delivery, NotEligible

PREFIX = "eldernet.billing."
AREA_CODE = validate.Regexp(r"^[0-9]{2}([0-9]{2}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?)?$",
                            error="a 2, 4, 6, 9 or 12-digit area code")
MONTH = validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="a month, YYYY-MM")
TIERS = ("town", "district", "city")


def fen(**kwargs):
    return fields.Integer(strict=True, **kwargs)


def text(max_length: int = 500, **kwargs):
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def record_id(**kwargs):
    """A booking's, elder's or facility's id, as the services that made it wrote it."""
    return fields.String(validate=validate.Length(min=1, max=64), **kwargs)


# -- policies -----------------------------------------------------------------------------------
class EligibleGroupSchema(Makes):
    make = EligibleGroup
    min_age = fields.Integer(required=True)
    max_age = fields.Integer(allow_none=True, load_default=None)
    disability_levels = fields.List(fields.String(), load_default=list)
    severities = fields.List(fields.String(), load_default=list)
    household = fields.List(fields.String(), load_default=list)


class ServiceRateSchema(Makes):
    make = ServiceRate
    service = text(64, required=True)
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    rate_fen = fen(required=True, validate=validate.Range(min=1))


class SubsidyPolicySchema(Makes):
    """One version of a policy, as written in its file (policy_file.py says each field)."""

    make = SubsidyPolicy
    policy_id = text(64, required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    name = text(200, required=True)
    set_by = fields.String(required=True, validate=AREA_CODE)
    home_area_prefix = fields.String(required=True, validate=AREA_CODE)
    eligible = fields.List(fields.Nested(EligibleGroupSchema), required=True)
    rates = fields.List(fields.Nested(ServiceRateSchema), required=True)
    monthly_cap_fen = fen(allow_none=True, load_default=None)
    copay_share = fields.Decimal(required=True, as_string=True, validate=validate.Range(min=0, max=1),
                                 metadata={"description": "the elder's share of the gross price, exact (\"0.1\")"})
    budget_line = text(64, required=True)
    effective_from = fields.Date(required=True)
    effective_to = fields.Date(allow_none=True, load_default=None, metadata={"description": "as written; None: "
                                                                             "until the next version takes effect"})
    hospital_suspension_days = fields.Integer(required=True)


class PolicyPublishedSchema(Makes):
    make = PolicyPublished
    set_by = fields.String(required=True, validate=AREA_CODE)
    policy = fields.Nested(SubsidyPolicySchema, required=True)


# -- claims -------------------------------------------------------------------------------------
class _Delivered(Makes):
    """What a delivery and the claim line priced from it both say."""

    booking_id = record_id(required=True)
    elder_id = record_id(required=True)
    facility_id = record_id(required=True)
    area_code = fields.String(required=True, validate=AREA_CODE)
    service = text(64, required=True)
    service_date = fields.Date(required=True)
    units = fields.Integer(required=True)


class DeliverySchema(_Delivered):
    """A delivered booking as billing received it (from eldernet.booking.BookingDelivered)."""

    make = Delivery
    unit = fields.String(required=True, validate=validate.OneOf(UNITS))
    delivered_at = fields.AwareDateTime(required=True)


class ClaimLineSchema(_Delivered):
    """A priced delivery: subsidy + co-payment = gross, to the fen; a reversal has every amount negated."""

    make = ClaimLine
    gross_fen = fen(required=True)
    subsidy_fen = fen(required=True)
    copay_fen = fen(required=True)
    policy_id = text(64, required=True)
    policy_version = fields.Integer(required=True)
    set_by = fields.String(required=True, validate=AREA_CODE, metadata={"description": "whose budget pays"})
    budget_line = text(64, required=True)
    capped = fields.Boolean(load_default=False, metadata={"description": "the monthly cap cut the subsidy"})


class NotEligibleSchema(Makes):
    make = NotEligible
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    detail = text(1000, required=True)
    policy_id = fields.String(allow_none=True, load_default=None)
    policy_version = fields.Integer(allow_none=True, load_default=None)


class ClaimEventSchema(Makes):
    booking_id = record_id(required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=1))


def _typed(base: type[Makes], into: type, **extra) -> type[Makes]:
    """The schema of event ``into``: ``base``'s fields and ``extra``, named for it (AsyncAPI names
    its components after the schemas)."""
    return type(f"{into.__name__}Schema", (base,), {"make": into, "__module__": __name__, **extra})


ClaimPricedSchema = _typed(ClaimEventSchema, c.ClaimPriced, delivery=fields.Nested(DeliverySchema, required=True),
                           line=fields.Nested(ClaimLineSchema, required=True))
ClaimNotEligibleSchema = _typed(ClaimEventSchema, c.ClaimNotEligible,
                                delivery=fields.Nested(DeliverySchema, required=True),
                                outcome=fields.Nested(NotEligibleSchema, required=True))
ClaimSubmittedSchema = _typed(ClaimEventSchema, c.ClaimSubmitted, submitted_by=text(200, required=True))
ClaimApprovedSchema = _typed(ClaimEventSchema, c.ClaimApproved, reviewer=text(200, required=True),
                             line=fields.Nested(ClaimLineSchema, required=True))
ClaimRejectedSchema = _typed(ClaimEventSchema, c.ClaimRejected, reviewer=text(200, required=True),
                             reason=text(required=True))
ClaimPaidSchema = _typed(ClaimEventSchema, c.ClaimPaid, payment_ref=text(200, required=True),
                         paid_on=fields.Date(required=True), subsidy_fen=fen(required=True))
ClaimReversedSchema = _typed(ClaimEventSchema, c.ClaimReversed, line=fields.Nested(ClaimLineSchema, required=True),
                             reason=text(required=True), was_approved=fields.Boolean(required=True))
ClaimWithdrawnSchema = _typed(ClaimEventSchema, c.ClaimWithdrawn, reason=text(required=True))


# -- statements ---------------------------------------------------------------------------------
class StatementKeySchema(Makes):
    make = s.StatementKey
    area_code = fields.String(required=True, validate=AREA_CODE)
    month = fields.String(required=True, validate=MONTH)
    facility_id = fields.String(allow_none=True, load_default=None,
                                metadata={"description": "a facility's statement; None for an area's"})


class StatementEventSchema(Makes):
    key = fields.Nested(StatementKeySchema, required=True)


StatementOpenedSchema = _typed(StatementEventSchema, s.StatementOpened)
LineAddedSchema = _typed(StatementEventSchema, s.LineAdded, line_key=text(200, required=True),
                         line=fields.Nested(ClaimLineSchema, required=True),
                         adjustment_for=fields.String(allow_none=True, load_default=None, validate=MONTH),
                         dated=fields.Date(required=True))
StatementClosedSchema = _typed(StatementEventSchema, s.StatementClosed, closed_on=fields.Date(required=True),
                               lines=fields.Integer(required=True), subsidy_fen=fen(required=True),
                               copay_fen=fen(required=True), adjustments_fen=fen(required=True))
StatementApprovedSchema = _typed(StatementEventSchema, s.StatementApproved,
                                 tier=fields.String(required=True, validate=validate.OneOf(TIERS)),
                                 area_code=fields.String(required=True, validate=AREA_CODE),
                                 approver=text(200, required=True), subsidy_fen=fen(required=True),
                                 adjustments_fen=fen(required=True))
StatementLockedSchema = _typed(StatementEventSchema, s.StatementLocked, subsidy_fen=fen(required=True),
                               copay_fen=fen(required=True))


# -- budgets ------------------------------------------------------------------------------------
class BudgetKeySchema(Makes):
    make = b.BudgetKey
    area_code = fields.String(required=True, validate=AREA_CODE)
    budget_line = text(64, required=True)
    year = fields.Integer(required=True)


class BudgetEventSchema(Makes):
    key = fields.Nested(BudgetKeySchema, required=True)


BudgetAllocatedSchema = _typed(BudgetEventSchema, b.BudgetAllocated, amount_fen=fen(required=True),
                               allocated_fen=fen(required=True))
SpendRecordedSchema = _typed(BudgetEventSchema, b.SpendRecorded, spend_key=text(200, required=True),
                             amount_fen=fen(required=True), spent_fen=fen(required=True))
BudgetThresholdPassedSchema = _typed(BudgetEventSchema, b.BudgetThresholdPassed,
                                     threshold=fields.Decimal(required=True, as_string=True),
                                     spent_fen=fen(required=True), allocated_fen=fen(required=True))


EVENT_SCHEMAS = (
    PolicyPublishedSchema,
    ClaimPricedSchema, ClaimNotEligibleSchema, ClaimSubmittedSchema, ClaimApprovedSchema, ClaimRejectedSchema,
    ClaimPaidSchema, ClaimReversedSchema, ClaimWithdrawnSchema,
    StatementOpenedSchema, LineAddedSchema, StatementClosedSchema, StatementApprovedSchema, StatementLockedSchema,
    BudgetAllocatedSchema, SpendRecordedSchema, BudgetThresholdPassedSchema,
)


def billing_events() -> EventRegistry:
    """Every event type the billing service records, by its CloudEvents type."""
    events = EventRegistry()
    for schema in EVENT_SCHEMAS:
        events.register(PREFIX + schema.make.__name__, schema.make, schema())
    return events
