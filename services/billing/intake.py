"""What billing does with the events it consumes, each inside the consumer's one unit of work.

* A delivered booking (``eldernet.booking.BookingDelivered``) is priced into a subsidy claim — only
  at the **home node of the delivery's area** (single writer): every node above sees synced copies
  of its children's booking events on its own bus and passes them over; the claim reaches them by
  sync. The policies are the published books of the areas enclosing the delivery (the city's and
  the district's, which came down by sync), read from the store, so pricing sees exactly what
  this node has been told.
* A registry elder event is kept (elders.py); a claim written here that was not eligible for want of
  that elder's record is priced again (a new revision).
* An approved claim line, or the reversal of one (``ClaimApproved``, ``ClaimReversed``), lands on
  the statements of its area and each enclosing area, and of its facility, and in the budget that
  pays it — each at its own home node: a village's claim, synced up, is added to the town's
  statement at the town, the district's at the district, the city's at the city.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from marshmallow import EXCLUDE

from shared.aggregate import Rejected
from shared.events import Event, utcnow
from shared.schemas import load
from services.billing import elders
from services.billing.domain import budgets as b, statements as s
from services.billing.domain.claim_messages import PriceDelivery, RepriceDelivery
from services.billing.domain.claims import claim, statement_line
from services.billing.domain.months import month_of
from services.billing.domain.policies import policy_in_force
from services.billing.domain.policy_book import policy_book
from services.billing.domain.pricing import Delivery
from services.billing.projections import claims as claim_rows, statements as statement_rows
from services.billing.schemas import DeliverySchema

BOOKING_DELIVERED = "eldernet.booking.BookingDelivered"
POLICY_AREA_LENGTHS = (4, 6)  # a city or a district sets policies (policy_file.parse_policy)
OWED = ("priced", "submitted", "approved", "paid")
LOCAL = ZoneInfo("Asia/Shanghai")  # months and days are Beijing time, as the finance office counts them


class DeliveredPayload(DeliverySchema):
    """What billing reads of the booking service's event; the rest (``until``) is booking's."""

    class Meta:
        unknown = EXCLUDE


def today(at: datetime | None = None) -> date:
    return (at or utcnow()).astimezone(LOCAL).date()


# -- pricing ------------------------------------------------------------------------------------
def policies_for(work, area_code: str) -> tuple:
    """The policy versions in force (ends resolved) of every book enclosing ``area_code``."""
    books = [work.load(policy_book, area_code[:n])[0] for n in POLICY_AREA_LENGTHS if len(area_code) >= n]
    return tuple(p for book in books for p in book.in_force())


def claimed_this_month(conn, elder_id: str, policy_id: str, month: str, but: str | None = None) -> int:
    """Subsidy counted against the elder's monthly cap under ``policy_id`` (claims.claimed_in_month,
    on the read model): the lines still owed, this claim's own (``but``) left out."""
    c = claim_rows.c
    query = sa.select(sa.func.coalesce(sa.func.sum(c.subsidy_fen), 0)).where(
        c.elder_id == elder_id, c.policy_id == policy_id, c.month == month, c.status.in_(OWED))
    if but is not None:
        query = query.where(c.booking_id != but)
    return int(conn.execute(query).scalar_one())


def pricing_command(work, delivery: Delivery, at: datetime) -> PriceDelivery:
    policies = policies_for(work, delivery.area_code)
    policy = policy_in_force(policies, delivery.service, delivery.area_code, delivery.service_date)
    claimed = 0 if policy is None else claimed_this_month(work.conn, delivery.elder_id, policy.policy_id,
                                                           month_of(delivery.service_date), but=delivery.booking_id)
    return PriceDelivery(delivery, elders.profile(work.conn, delivery.elder_id), policies, claimed, at)


def price(work, event: Event) -> list[Event]:
    """Price a delivered booking here if this is its home node; the claim's new events."""
    delivery = load(DeliveredPayload(), event.data, prefix="data.")
    if not work.is_home(claim.stream_id(delivery.booking_id), delivery.area_code):
        return []
    command = pricing_command(work, delivery, utcnow())
    return work.execute(claim, delivery.booking_id, command, area_code=delivery.area_code)


def reprice(work, booking_id: str, at: datetime) -> list[Event]:
    """Price a claim that was not eligible again, with the elder and policies known here now."""
    state, _ = work.load(claim, booking_id)
    if state.delivery is None:
        raise Rejected(f"no claim for booking {booking_id}", field="booking_id")
    priced = pricing_command(work, state.delivery, at)
    command = RepriceDelivery(booking_id, priced.elder, priced.policies, priced.claimed_this_month_fen, at)
    return work.execute(claim, booking_id, command, area_code=state.delivery.area_code)


def learn_elder(work, event: Event) -> list[Event]:
    """Keep what a registry event says of an elder, and price again the claims written here that
    were not eligible for want of the elder's record."""
    elders.learn(work.conn, event)
    c = claim_rows.c
    waiting = work.conn.execute(sa.select(c.booking_id, c.area_code).where(
        c.elder_id == event.data["elder_id"], c.status == "not_eligible", c.not_eligible == "unknown_elder")).all()
    recorded = []
    for booking_id, area_code in waiting:
        if work.is_home(claim.stream_id(booking_id), area_code):
            recorded += reprice(work, booking_id, utcnow())
    return recorded


# -- statements and budgets ---------------------------------------------------------------------
def closed_months(conn, area_code: str) -> set[str]:
    """The months whose statement of ``area_code`` is closed or locked here."""
    c = statement_rows.c
    return set(conn.execute(sa.select(c.month).where(c.area_code == area_code, c.facility_id.is_(None),
                                                     c.status.in_(("closed", "locked")))).scalars())


def land(work, event: Event) -> list[Event]:
    """Put an approved line (or its reversal) on the statements and the budget written here."""
    found = statement_line(work.context.registry.to_domain(event))
    if found is None:
        return []
    line_key, line = found
    landed_on, at = today(), utcnow()
    recorded = []
    for key in s.statement_keys(line, "", line.area_code):
        # A facility's statement is a breakdown of its area's: it follows that one's closed months.
        month = s.route_line(line.service_date, landed_on, closed_months(work.conn, key.area_code))
        key = s.StatementKey(key.area_code, month, key.facility_id)
        if work.is_home(s.statement.stream_id(key.id), key.area_code):
            recorded += work.execute(s.statement, key.id, s.AddLine(key, line_key, line, at), area_code=key.area_code)
    budget_month = s.route_line(line.service_date, landed_on, closed_months(work.conn, line.set_by))
    budget = b.BudgetKey(line.set_by, line.budget_line, int(budget_month[:4]))
    if work.is_home(b.budget.stream_id(budget.id), budget.area_code):
        recorded += work.execute(b.budget, budget.id, b.RecordSpend(budget, line_key, line.subsidy_fen, at),
                                 area_code=budget.area_code)
    return recorded
