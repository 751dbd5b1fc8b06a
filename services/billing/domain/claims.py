"""Subsidy claims (补贴申领): one per delivered booking, stream ``subsidy-claim-<booking id>``.

priced (or not_eligible) → submitted → approved | rejected(reason) → paid. A cancelled delivery
reverses the claim's line and a corrected one reverses it and prices the delivery again, each a
new revision: nothing is deleted, and the lines of a claim always sum to what is owed now. A claim
not eligible is priced again when asked (the elder's record arrived, a policy was published), as a
new revision too.
The same delivered event arriving twice (a redelivery, a resync) prices nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta, timezone

from shared.aggregate import Decider, Rejected
from services.billing.domain.claim_messages import (
    ApproveClaim, CancelDelivery, ClaimApproved, ClaimNotEligible, ClaimPaid, ClaimPriced, ClaimRejected,
    ClaimReversed, ClaimSubmitted, ClaimWithdrawn, CorrectDelivery, PriceDelivery, RecordPayment, RejectClaim,
    RepriceDelivery, SubmitClaim)
from services.billing.domain.months import month_of
from services.billing.domain.policies import UNITS
from services.billing.domain.pricing import ClaimLine, Delivery, NotEligible, price, unknown_elder

# Service dates are local days (Beijing time, UTC+8 all year): a meal served and recorded at 00:30 on
# the 24th is recorded on the 23rd in UTC.
BEIJING = timezone(timedelta(hours=8))
OWED = ("priced", "submitted", "approved", "paid")  # statuses whose line is a debt to be paid


@dataclass(frozen=True)
class Claim:
    status: str = ""  # priced, not_eligible, submitted, approved, rejected, paid, reversed, withdrawn
    delivery: Delivery | None = None
    line: ClaimLine | None = None
    revision: int = 0
    approved: bool = False
    outcome: NotEligible | None = None  # why it is not paid, while not_eligible


def check_delivery(delivery: Delivery) -> None:
    if isinstance(delivery.units, bool) or not isinstance(delivery.units, int) or delivery.units <= 0:
        raise Rejected("must be a positive integer", field="delivery.units")
    if delivery.unit not in UNITS:
        raise Rejected(f"must be one of {', '.join(UNITS)}", field="delivery.unit")
    recorded_on = delivery.delivered_at.astimezone(BEIJING).date()
    if delivery.service_date > recorded_on:
        raise Rejected(f"is after the delivery was recorded ({recorded_on})", field="delivery.service_date")


def decide(state: Claim, command) -> list:
    if isinstance(command, PriceDelivery):
        return _price(state, command)
    if state.delivery is None:
        raise Rejected(f"no claim for booking {_booking(command)}", field="booking_id")
    if isinstance(command, CorrectDelivery):
        return _correct(state, command)
    if isinstance(command, CancelDelivery):
        return _cancel(state, command)
    if isinstance(command, RepriceDelivery):
        return _reprice(state, command)
    return _review(state, command)


def _booking(command) -> str:
    return command.delivery.booking_id if isinstance(command, CorrectDelivery) else command.booking_id


def _price(state: Claim, command: PriceDelivery) -> list:
    if state.delivery is not None:
        if state.delivery == command.delivery:
            return []  # the same delivered event again
        raise Rejected("this booking's delivery is already priced; a changed delivery is a correction",
                       field="delivery")
    check_delivery(command.delivery)
    return [_priced(command, revision=1)]


def _priced(command, revision: int):
    outcome = (unknown_elder(command.delivery) if command.elder is None
               else price(command.delivery, command.elder, command.policies, command.claimed_this_month_fen))
    booking = command.delivery.booking_id
    if isinstance(outcome, NotEligible):
        return ClaimNotEligible(booking, revision, command.delivery, outcome)
    return ClaimPriced(booking, revision, command.delivery, outcome)


def _reprice(state: Claim, command: RepriceDelivery) -> list:
    if state.status != "not_eligible":
        raise Rejected(f"the claim is {state.status}: only a claim not eligible is priced again "
                       "(a changed delivery is a correction)", field="booking_id")
    again = _priced(PriceDelivery(state.delivery, command.elder, command.policies, command.claimed_this_month_fen,
                                  command.at), revision=state.revision + 1)
    if isinstance(again, ClaimNotEligible) and again.outcome == state.outcome:
        return []  # nothing new is known: no new revision
    return [again]


def _correct(state: Claim, command: CorrectDelivery) -> list:
    if state.status in ("reversed", "withdrawn"):
        raise Rejected("the delivery was cancelled; a new delivery is a new booking", field="booking_id")
    if command.delivery.booking_id != state.delivery.booking_id:
        raise Rejected("a correction is of the same booking", field="delivery.booking_id")
    if command.delivery == state.delivery:
        return []
    check_delivery(command.delivery)
    reason = _reason(command.reason)
    return [*_reversal(state, reason), _priced(command, revision=state.revision + 1)]


def _cancel(state: Claim, command: CancelDelivery) -> list:
    if state.status in ("reversed", "withdrawn"):
        return []
    reason = _reason(command.reason)
    return _reversal(state, reason) or [ClaimWithdrawn(command.booking_id, state.revision, reason)]


def _reversal(state: Claim, reason: str) -> list:
    if state.status not in OWED:
        return []
    return [ClaimReversed(state.delivery.booking_id, state.revision, state.line.reversed(), reason, state.approved)]


def _review(state: Claim, command) -> list:
    booking, revision = state.delivery.booking_id, state.revision
    if isinstance(command, SubmitClaim):
        if state.status in ("submitted", "approved", "rejected", "paid"):
            return []  # a retried submission
        _expect(state, "priced", "a priced claim is submitted")
        return [ClaimSubmitted(booking, revision, _who(command.submitted_by, "submitted_by"))]
    if isinstance(command, ApproveClaim):
        if state.status in ("approved", "paid"):
            return []
        _expect(state, "submitted", "submit the claim before review")
        return [ClaimApproved(booking, revision, _who(command.reviewer, "reviewer"), state.line)]
    if isinstance(command, RejectClaim):
        if state.status == "rejected":
            return []
        _expect(state, "submitted", "submit the claim before review")
        return [ClaimRejected(booking, revision, _who(command.reviewer, "reviewer"), _reason(command.reason))]
    if isinstance(command, RecordPayment):
        if state.status == "paid":
            return []
        _expect(state, "approved", "only an approved claim is paid")
        return [ClaimPaid(booking, revision, _who(command.payment_ref, "payment_ref"), command.paid_on,
                          state.line.subsidy_fen)]
    raise TypeError(f"unknown command {command!r}")


def _expect(state: Claim, status: str, why: str) -> None:
    if state.status != status:
        raise Rejected(f"the claim is {state.status}: {why}", field="booking_id")


def _who(value: str, field: str) -> str:
    if not value or not value.strip():
        raise Rejected("must not be empty", field=field)
    return value.strip()


def _reason(reason: str) -> str:
    return _who(reason, "reason")


STATUS_AFTER = {ClaimSubmitted: "submitted", ClaimApproved: "approved", ClaimRejected: "rejected",
                ClaimPaid: "paid", ClaimWithdrawn: "withdrawn"}


def evolve(state: Claim, event) -> Claim:
    if isinstance(event, ClaimPriced):
        return Claim("priced", event.delivery, event.line, event.revision, False)
    if isinstance(event, ClaimNotEligible):
        return Claim("not_eligible", event.delivery, None, event.revision, False, event.outcome)
    if isinstance(event, ClaimReversed):
        return replace(state, status="reversed", line=None, approved=False)
    if type(event) in STATUS_AFTER:
        approved = state.approved or isinstance(event, ClaimApproved)
        return replace(state, status=STATUS_AFTER[type(event)], approved=approved)
    return state


claim = Decider(category="subsidy-claim", initial=Claim, decide=decide, evolve=evolve)


def statement_line(event) -> tuple[str, ClaimLine] | None:
    """The (line key, line) a claim event puts on the statements and the budget, if any.

    An approved line lands there; its reversal too when it had been approved (a line never approved
    was never counted, so its reversal counts nothing). The key makes landing idempotent.
    """
    if isinstance(event, ClaimApproved):
        return f"{event.booking_id}/{event.revision}", event.line
    if isinstance(event, ClaimReversed) and event.was_approved:
        return f"{event.booking_id}/{event.revision}/reversal", event.line
    return None


def claimed_in_month(claims, elder_id: str, policy_id: str, month: str) -> int:
    """Subsidy counted against an elder's monthly cap: the lines still owed (not rejected or reversed)."""
    return sum(c.line.subsidy_fen for c in claims
               if c.status in OWED and c.line.elder_id == elder_id and c.line.policy_id == policy_id
               and month_of(c.line.service_date) == month)
