"""Conservation of money across the whole of billing, for any deliveries, policies and corrections.

Deliveries are priced into claims, reviewed, some cancelled or corrected; approved lines and their
reversals land on the statements of every area up to the city (late ones as adjustments once
November is closed) and in the budget. Whatever happens, to the fen: statement total = sum of its
lines, city = sum of its districts, all statements = budget spend = what approved claims owe, and
no elder gets more than the monthly cap.
"""
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.billing.domain import budgets as b, claim_messages as m, statements as s
from services.billing.domain.claims import OWED, claim, claimed_in_month, statement_line
from services.billing.domain.months import month_of

from billing_examples import delivery, elder, meals_at, policies, policy

VILLAGES = ("210402003001", "210402003002", "210403001001")
CLOSE_NOVEMBER_ON = date(2026, 12, 3)


def moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.utc)


class Billing:
    """The pure domain run by hand the way the service layer will: one stream per aggregate."""

    def __init__(self, book):
        self.book = book
        self.streams = defaultdict(list)  # (decider, id) -> events
        self.closed = set()

    def run(self, decider, stream, command):
        events = decider.run(self.streams[decider, stream], command)[1]
        self.streams[decider, stream] += events
        return events

    def claims(self):
        return [claim.fold(events) for (decider, _), events in self.streams.items() if decider is claim]

    def claimed(self, the_delivery, but_not=None):
        others = [c for c in self.claims() if c.delivery and c.delivery.booking_id != but_not]
        return claimed_in_month(others, the_delivery.elder_id, "fushun-home-care", month_of(the_delivery.service_date))

    def review(self, booking, approve, on):
        events = self.run(claim, booking, m.SubmitClaim(booking, "助老员", moment(on)))
        verdict = (m.ApproveClaim(booking, "审核员", moment(on)) if approve
                   else m.RejectClaim(booking, "审核员", "no", moment(on)))
        return events + self.run(claim, booking, verdict)

    def land(self, events, on: date):
        for event in events:
            landed = statement_line(event)
            if landed is None:
                continue
            key, line = landed
            month = s.route_line(line.service_date, on, self.closed)
            for statement_key in s.statement_keys(line, month, facility_area=VILLAGES[0]):
                self.run(s.statement, statement_key.id, s.AddLine(statement_key, key, line, moment(on)))
            budget_key = b.BudgetKey(line.set_by, line.budget_line, int(month[:4]))
            self.run(b.budget, budget_key.id, b.RecordSpend(budget_key, key, line.subsidy_fen, moment(on)))

    def close_november(self):
        for area in ("2104", "210402", "210403", "210402003", "210403001", *VILLAGES):
            key = s.StatementKey(area, "2026-11")
            self.run(s.statement, key.id, s.CloseStatement(key, moment(CLOSE_NOVEMBER_ON)))
        self.closed.add("2026-11")

    def deliver(self, n, village, day, units, late_days, approve, afterwards):
        the_elder = elder(elder_id=f"el{village}", home_area_code=VILLAGES[village])
        the_delivery = delivery(booking_id=f"b{n}", elder_id=the_elder.elder_id, area_code=VILLAGES[village],
                                service_date=day, units=units, delivered_at=moment(day))
        on = day + timedelta(days=late_days)
        events = self.run(claim, the_delivery.booking_id, m.PriceDelivery(
            the_delivery, the_elder, self.book, self.claimed(the_delivery), moment(on)))
        if isinstance(events[0], m.ClaimPriced):
            events += self.review(the_delivery.booking_id, approve, on)
        if afterwards == "cancel":
            events += self.run(claim, the_delivery.booking_id,
                               m.CancelDelivery(the_delivery.booking_id, "cancelled", moment(on)))
        elif afterwards and not isinstance(events[-1], m.ClaimRejected):
            corrected = replace(the_delivery, units=afterwards)
            claimed = self.claimed(corrected, but_not=corrected.booking_id)
            events += self.run(claim, the_delivery.booking_id, m.CorrectDelivery(
                corrected, the_elder, self.book, claimed, "fix", moment(on)))
            if isinstance(events[-1], m.ClaimPriced):
                events += self.review(the_delivery.booking_id, True, on)
        self.land(events, on)

    def totals(self, decider, fold_field):
        return {stream: getattr(decider.fold(events), fold_field)
                for (d, stream), events in self.streams.items() if d is decider}


deliveries = st.lists(st.tuples(
    st.integers(0, 2),                                            # village (and elder)
    st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 12, 20)),
    st.integers(1, 6),                                            # units
    st.integers(0, 12),                                           # days late
    st.booleans(),                                                # approved (or rejected)
    st.one_of(st.none(), st.just("cancel"), st.integers(1, 6))),  # then cancelled, corrected to n units
    max_size=25)


@settings(max_examples=60, deadline=None)
@given(st.integers(100, 5000), st.decimals(0, 1, places=2).map(str), st.integers(1000, 20000), deliveries,
       st.integers(0, 25))
def test_every_fen_is_accounted_for(rate, share, cap, items, close_after):
    billing = Billing(policies(policy(copay_share=share, monthly_cap_fen=cap,
                                      services=meals_at(rate))))
    items = sorted(items, key=lambda item: item[1] + timedelta(days=item[3]))  # in the order they land
    for n, item in enumerate(items):
        lands_on = item[1] + timedelta(days=item[3])
        if n == close_after or (lands_on >= CLOSE_NOVEMBER_ON and "2026-11" not in billing.closed):
            billing.close_november()
        billing.deliver(n, *item)

    statements = billing.streams
    for (decider, stream), events in statements.items():
        if decider is s.statement:
            state = decider.fold(events)
            assert state.subsidy_fen == sum(e.line.subsidy_fen for e in events if isinstance(e, s.LineAdded))
            closed = [e for e in events if isinstance(e, s.StatementClosed)]
            assert not closed or closed[0].subsidy_fen == state.subsidy_fen  # never rewritten after closing

    subsidy = billing.totals(s.statement, "subsidy_fen")
    for month in ("2026-11", "2026-12"):
        city = subsidy.get(f"2104-{month}", 0)
        assert city == subsidy.get(f"210402-{month}", 0) + subsidy.get(f"210403-{month}", 0)
        assert city == sum(subsidy.get(f"{v}-{month}", 0) for v in VILLAGES)
        assert city == sum(v for k, v in subsidy.items() if k.startswith("facility-") and k.endswith(month))

    owed = [c for c in billing.claims() if c.status in OWED]
    approved = sum(c.line.subsidy_fen for c in owed if c.status in ("approved", "paid"))
    all_city_statements = subsidy.get("2104-2026-11", 0) + subsidy.get("2104-2026-12", 0)
    assert all_city_statements == sum(billing.totals(b.budget, "spent_fen").values()) == approved

    per_elder_month = defaultdict(int)
    for c in owed:
        per_elder_month[c.line.elder_id, month_of(c.line.service_date)] += c.line.subsidy_fen
        assert c.line.subsidy_fen + c.line.copay_fen == c.line.gross_fen
    assert all(total <= cap for total in per_elder_month.values())
