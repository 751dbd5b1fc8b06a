"""What a subsidy claim is told (commands) and what it records (events); the rules are in claims.py."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from services.billing.domain.pricing import ClaimLine, Delivery, ElderProfile, NotEligible


@dataclass(frozen=True)
class PriceDelivery:
    delivery: Delivery
    elder: ElderProfile | None  # None: the pricing node has no record of the elder (unknown_elder)
    policies: tuple  # the checked policy set (PolicyBook.in_force) of the delivery's area
    claimed_this_month_fen: int  # claimed_in_month(...) for the elder, the policy and the service month
    at: datetime


@dataclass(frozen=True)
class CorrectDelivery:
    delivery: Delivery
    elder: ElderProfile
    policies: tuple
    claimed_this_month_fen: int  # excluding this claim's own current line
    reason: str
    at: datetime


@dataclass(frozen=True)
class RepriceDelivery:
    """Price a claim that was not eligible again, with what is known now (the elder's record has
    arrived, a policy was published): a new revision, or nothing when the outcome is the same."""

    booking_id: str
    elder: ElderProfile | None
    policies: tuple
    claimed_this_month_fen: int
    at: datetime


@dataclass(frozen=True)
class CancelDelivery:
    booking_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class SubmitClaim:
    booking_id: str
    submitted_by: str
    at: datetime


@dataclass(frozen=True)
class ApproveClaim:
    booking_id: str
    reviewer: str
    at: datetime


@dataclass(frozen=True)
class RejectClaim:
    booking_id: str
    reviewer: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class RecordPayment:
    booking_id: str
    payment_ref: str
    paid_on: date
    at: datetime


@dataclass(frozen=True)
class ClaimPriced:
    booking_id: str
    revision: int
    delivery: Delivery
    line: ClaimLine


@dataclass(frozen=True)
class ClaimNotEligible:
    booking_id: str
    revision: int
    delivery: Delivery
    outcome: NotEligible


@dataclass(frozen=True)
class ClaimSubmitted:
    booking_id: str
    revision: int
    submitted_by: str


@dataclass(frozen=True)
class ClaimApproved:
    booking_id: str
    revision: int
    reviewer: str
    line: ClaimLine  # what lands on the month's statements and the budget's spend


@dataclass(frozen=True)
class ClaimRejected:
    booking_id: str
    revision: int
    reviewer: str
    reason: str


@dataclass(frozen=True)
class ClaimPaid:
    booking_id: str
    revision: int
    payment_ref: str
    paid_on: date
    subsidy_fen: int


@dataclass(frozen=True)
class ClaimReversed:
    booking_id: str
    revision: int  # the revision reversed
    line: ClaimLine  # negated
    reason: str
    was_approved: bool  # the reversed line is on a statement, so its reversal goes there too


@dataclass(frozen=True)
class ClaimWithdrawn:
    """A cancelled delivery whose claim owed nothing (not eligible or rejected)."""

    booking_id: str
    revision: int
    reason: str
