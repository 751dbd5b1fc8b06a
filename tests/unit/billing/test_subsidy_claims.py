from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.aggregate import Rejected
from services.billing.domain import claim_messages as m
from services.billing.domain.claims import claim, claimed_in_month, statement_line

from billing_examples import AT, delivery, elder, policies, policy

HOME_CARE = policies()


def price_it(the_delivery=None, the_elder=None, claimed=0):
    return m.PriceDelivery(the_delivery or delivery(), the_elder or elder(), HOME_CARE, claimed, AT)


def run(*commands):
    """The claim's state and all its events after ``commands`` in turn."""
    history = []
    for command in commands:
        history += claim.run(history, command)[1]
    return claim.fold(history), history


SUBMIT = m.SubmitClaim("b1", "村 助老员", AT)
APPROVE = m.ApproveClaim("b1", "镇 审核员", AT)
PAY = m.RecordPayment("b1", "PAY-2026-11-001", date(2026, 12, 10), AT)


def test_a_delivered_booking_is_priced_into_a_claim():
    state, [event] = run(price_it())
    assert isinstance(event, m.ClaimPriced)
    assert (event.revision, event.line.subsidy_fen, event.line.copay_fen) == (1, 2700, 300)
    assert state.status == "priced"
    assert claim.stream_id("b1") == "subsidy-claim-b1"


def test_a_delivery_not_eligible_is_recorded_with_its_reason():
    state, [event] = run(price_it(delivery(service="bathing")))
    assert isinstance(event, m.ClaimNotEligible) and event.outcome.reason == "no_policy"
    assert state.status == "not_eligible"
    with pytest.raises(Rejected, match="the claim is not_eligible"):
        run(price_it(delivery(service="bathing")), SUBMIT)


def test_a_claim_goes_through_review_to_payment():
    state, events = run(price_it(), SUBMIT, APPROVE, PAY)
    assert [type(e).__name__ for e in events] == ["ClaimPriced", "ClaimSubmitted", "ClaimApproved", "ClaimPaid"]
    assert events[2].line == events[0].line
    assert (events[3].subsidy_fen, events[3].payment_ref) == (2700, "PAY-2026-11-001")
    assert state.status == "paid"


def test_a_rejected_claim_keeps_its_reason():
    state, events = run(price_it(), SUBMIT, m.RejectClaim("b1", "镇 审核员", "服务记录缺少签字", AT))
    assert events[-1] == m.ClaimRejected("b1", 1, "镇 审核员", "服务记录缺少签字")
    assert state.status == "rejected"


@pytest.mark.parametrize("commands,message", [
    ([APPROVE], "submit the claim before review"),
    ([m.RejectClaim("b1", "审核员", "no", AT)], "submit the claim before review"),
    ([PAY], "only an approved claim is paid"),
    ([SUBMIT, PAY], "only an approved claim is paid"),
    ([SUBMIT, m.RejectClaim("b1", "审核员", " ", AT)], "reason: must not be empty"),
    ([SUBMIT, m.ApproveClaim("b1", "", AT)], "reviewer: must not be empty"),
    ([SUBMIT, m.RejectClaim("b1", "审核员", "no", AT), APPROVE], "the claim is rejected"),
])
def test_review_out_of_order_is_refused(commands, message):
    with pytest.raises(Rejected, match=message):
        run(price_it(), *commands)


def test_review_steps_repeated_change_nothing():
    _, history = run(price_it(), SUBMIT, APPROVE, PAY)
    for command in (price_it(), SUBMIT, APPROVE, PAY):
        assert claim.run(history, command)[1] == []


def test_a_claim_needs_its_delivery_first():
    with pytest.raises(Rejected) as error:
        run(SUBMIT)
    assert error.value.field == "booking_id"
    with pytest.raises(Rejected):
        run(m.CancelDelivery("b1", "booking cancelled", AT))


def test_a_changed_delivery_of_a_priced_booking_is_a_correction_not_a_second_price():
    with pytest.raises(Rejected) as error:
        run(price_it(), price_it(delivery(units=4)))
    assert error.value.field == "delivery"


@pytest.mark.parametrize("changes,field", [
    ({"units": 0}, "delivery.units"), ({"units": True}, "delivery.units"), ({"unit": "bowls"}, "delivery.unit"),
    ({"service_date": AT.date() + timedelta(days=1)}, "delivery.service_date"),
])
def test_an_impossible_delivery_is_refused(changes, field):
    with pytest.raises(Rejected) as error:
        run(price_it(delivery(**changes)))
    assert error.value.field == field


def test_a_correction_reverses_the_line_and_prices_the_delivery_again():
    state, events = run(price_it(), SUBMIT, APPROVE, m.CorrectDelivery(delivery(units=5), elder(), HOME_CARE, 0,
                                                                       "5 meals, not 3", AT))
    reversal, repriced = events[-2:]
    assert isinstance(reversal, m.ClaimReversed) and reversal.was_approved
    assert (reversal.revision, reversal.line.subsidy_fen, reversal.line.copay_fen) == (1, -2700, -300)
    assert isinstance(repriced, m.ClaimPriced)
    assert (repriced.revision, repriced.line.subsidy_fen) == (2, 4500)
    assert (state.status, state.revision, state.approved) == ("priced", 2, False)


def test_a_correction_of_a_claim_not_eligible_just_prices_it_again():
    _, events = run(price_it(delivery(service="bathing")),
                    m.CorrectDelivery(delivery(), elder(), HOME_CARE, 0, "the service was meals", AT))
    assert [type(e).__name__ for e in events] == ["ClaimNotEligible", "ClaimPriced"]


@pytest.mark.parametrize("correction,field", [
    (m.CorrectDelivery(delivery(booking_id="b2"), elder(), HOME_CARE, 0, "wrong booking", AT), "delivery.booking_id"),
    (m.CorrectDelivery(delivery(units=4), elder(), HOME_CARE, 0, "", AT), "reason"),
])
def test_bad_corrections_are_refused(correction, field):
    with pytest.raises(Rejected) as error:
        run(price_it(), correction)
    assert error.value.field == field


def test_a_cancelled_delivery_reverses_the_line_never_deletes_it():
    state, events = run(price_it(), SUBMIT, m.CancelDelivery("b1", "booking cancelled", AT))
    assert events[-1] == m.ClaimReversed("b1", 1, events[0].line.reversed(), "booking cancelled", False)
    assert state.status == "reversed"
    assert claim.run(events, m.CancelDelivery("b1", "again", AT))[1] == []
    with pytest.raises(Rejected, match="cancelled"):
        run(price_it(), m.CancelDelivery("b1", "cancelled", AT), m.CorrectDelivery(delivery(units=4), elder(),
                                                                                      HOME_CARE, 0, "late fix", AT))


def test_a_cancelled_claim_that_owed_nothing_is_withdrawn():
    _, events = run(price_it(delivery(service="bathing")), m.CancelDelivery("b1", "booking cancelled", AT))
    assert events[-1] == m.ClaimWithdrawn("b1", 1, "booking cancelled")


def test_only_approved_lines_and_their_reversals_land_on_statements():
    _, events = run(price_it(), SUBMIT, APPROVE, PAY, m.CancelDelivery("b1", "refund", AT))
    landed = [statement_line(e) for e in events if statement_line(e)]
    assert [key for key, _ in landed] == ["b1/1", "b1/1/reversal"]
    assert sum(line.subsidy_fen for _, line in landed) == 0
    _, unapproved = run(price_it(), m.CancelDelivery("b1", "cancelled", AT))
    assert [statement_line(e) for e in unapproved] == [None, None]


def test_the_cap_counts_the_lines_still_owed_for_the_elder_policy_and_month():
    owed = run(price_it())[0]
    other_elder = run(price_it(delivery(booking_id="b2", elder_id="el2"), elder(elder_id="el2")))[0]
    october = run(price_it(delivery(booking_id="b3", service_date=date(2026, 10, 31))))[0]
    cancelled = run(price_it(delivery(booking_id="b4")), m.CancelDelivery("b4", "cancelled", AT))[0]
    not_eligible = run(price_it(delivery(booking_id="b5", service="bathing")))[0]
    claims = [owed, other_elder, october, cancelled, not_eligible]
    assert claimed_in_month(claims, "el1", "fushun-home-care", "2026-11") == 2700
    assert claimed_in_month(claims, "el1", "other-policy", "2026-11") == 0


# -- property: whatever happens to a delivery, its lines sum to what is owed now -------------------
actions = st.lists(st.one_of(
    st.tuples(st.just("correct"), st.integers(1, 9)), st.just(("cancel",)), st.just(("submit",)),
    st.just(("approve",)), st.just(("reject",)), st.just(("pay",))), max_size=12)


def command_for(action):
    kind = action[0]
    if kind == "correct":
        return m.CorrectDelivery(delivery(units=action[1]), elder(), HOME_CARE, 0, "corrected", AT)
    return {"cancel": m.CancelDelivery("b1", "cancelled", AT), "submit": SUBMIT, "approve": APPROVE, "pay": PAY,
            "reject": m.RejectClaim("b1", "审核员", "no", AT)}[kind]


@given(st.integers(1, 9), actions)
def test_reversals_net_to_zero_and_lines_sum_to_what_is_owed(units, steps):
    history = claim.run([], price_it(delivery(units=units)))[1]
    for action in steps:
        try:
            history += claim.run(history, command_for(action))[1]
        except Rejected:
            pass
    state = claim.fold(history)
    rejected = {e.revision for e in history if isinstance(e, m.ClaimRejected)}  # a rejected line is void
    lines = [e.line for e in history
             if isinstance(e, m.ClaimReversed) or (isinstance(e, m.ClaimPriced) and e.revision not in rejected)]
    current = state.line if state.status in ("priced", "submitted", "approved", "paid") else None
    owed = current.subsidy_fen if current else 0
    assert sum(line.subsidy_fen for line in lines) == owed
    assert sum(line.gross_fen for line in lines) == (current.gross_fen if current else 0)
    on_statements = sum(statement_line(e)[1].subsidy_fen for e in history if statement_line(e))
    assert on_statements == (owed if state.status in ("approved", "paid") else 0)


def test_a_delivery_is_dated_in_beijing_time_so_one_recorded_after_local_midnight_is_not_in_the_future():
    just_after_midnight = datetime(2026, 11, 23, 16, 30, tzinfo=timezone.utc)  # 00:30 on the 24th in Beijing
    today = delivery(service_date=date(2026, 11, 24), delivered_at=just_after_midnight)
    [priced] = claim.decide(claim.initial(), m.PriceDelivery(today, elder(), policies(), 0, AT))
    assert isinstance(priced, m.ClaimPriced)
    tomorrow = delivery(service_date=date(2026, 11, 25), delivered_at=just_after_midnight)
    with pytest.raises(Rejected) as refused:
        claim.decide(claim.initial(), m.PriceDelivery(tomorrow, elder(), policies(), 0, AT))
    assert refused.value.field == "delivery.service_date"


def test_a_delivery_to_an_elder_the_node_has_no_record_of_is_not_eligible_and_says_why():
    [event] = claim.decide(claim.initial(), m.PriceDelivery(delivery(), None, policies(), 0, AT))
    assert isinstance(event, m.ClaimNotEligible) and event.outcome.reason == "unknown_elder"
    assert "el1" in event.outcome.detail


def test_a_claim_not_eligible_is_priced_again_as_a_new_revision_once_something_new_is_known():
    history = claim.decide(claim.initial(), m.PriceDelivery(delivery(), None, policies(), 0, AT))
    state = claim.fold(history)
    assert claim.decide(state, m.RepriceDelivery("b1", None, policies(), 0, AT)) == []  # still unknown
    [priced] = claim.decide(state, m.RepriceDelivery("b1", elder(), policies(), 0, AT))
    assert isinstance(priced, m.ClaimPriced) and priced.revision == 2 and priced.delivery == delivery()
    assert priced.line.subsidy_fen == 2700 and statement_line(priced) is None  # lands once approved
    young = claim.decide(state, m.RepriceDelivery("b1", elder(birth_date=date(1990, 1, 1)), policies(), 0, AT))
    assert young[0].outcome.reason == "age" and young[0].revision == 2
    with pytest.raises(Rejected) as refused:
        claim.decide(claim.fold([priced], state), m.RepriceDelivery("b1", elder(), policies(), 0, AT))
    assert refused.value.field == "booking_id"
