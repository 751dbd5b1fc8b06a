from decimal import Decimal

import pytest

from shared.aggregate import Rejected
from services.billing.domain import budgets as b

from billing_examples import AT, CITY

KEY = b.BudgetKey(CITY, "home-care-purchase", 2026)


def run(*commands):
    history = []
    for command in commands:
        history += b.budget.run(history, command)[1]
    return b.budget.fold(history), history


def allocate(fen):
    return b.AllocateBudget(KEY, fen, AT)


def spend(key, fen):
    return b.RecordSpend(KEY, key, fen, AT)


def warnings(events):
    return [e.threshold for e in events if isinstance(e, b.BudgetThresholdPassed)]


def test_a_budget_has_an_allocation_and_spend_to_date():
    state, events = run(allocate(100_000), allocate(50_000), spend("b1/1", 2700), spend("b2/1", 900))
    assert b.budget.stream_id(KEY.id) == "subsidy-budget-2104-home-care-purchase-2026"
    assert events[1] == b.BudgetAllocated(KEY, 50_000, 150_000)
    assert events[-1] == b.SpendRecorded(KEY, "b2/1", 900, 3600)
    assert (state.allocated_fen, state.spent_fen, state.share_spent()) == (150_000, 3600, Decimal("0.024"))


def test_the_same_spend_counts_once():
    state, _ = run(allocate(10_000), spend("b1/1", 2700), spend("b1/1", 2700))
    assert state.spent_fen == 2700


def test_passing_a_threshold_warns_once():
    _, events = run(allocate(10_000), spend("a", 7999), spend("b", 1), spend("c", 1000), spend("d", 1000))
    assert events[2:4] == [b.SpendRecorded(KEY, "b", 1, 8000),
                           b.BudgetThresholdPassed(KEY, Decimal("0.8"), 8000, 10_000)]
    assert warnings(events) == [Decimal("0.8"), Decimal("1")]


def test_falling_back_and_passing_again_does_not_warn_again():
    _, events = run(allocate(10_000), spend("a", 8500), spend("a/reversal", -8500), spend("b", 9000))
    assert warnings(events) == [Decimal("0.8")]


def test_a_jump_past_both_thresholds_warns_of_both():
    _, events = run(allocate(10_000), spend("a", 12_000))
    assert warnings(events) == [Decimal("0.8"), Decimal("1")]


def test_a_cut_in_allocation_can_pass_a_threshold():
    _, events = run(allocate(10_000), spend("a", 7000), allocate(-2000))
    assert warnings(events) == [Decimal("0.8")]


def test_spending_an_unallocated_budget_warns():
    state, events = run(spend("a", 1))
    assert warnings(events) == [Decimal("0.8"), Decimal("1")]
    assert state.share_spent() is None


def test_overspending_is_recorded_not_refused():
    state, _ = run(allocate(1000), spend("a", 5000))
    assert state.spent_fen == 5000


def test_an_allocation_cannot_go_below_zero():
    with pytest.raises(Rejected) as error:
        run(allocate(1000), allocate(-1001))
    assert error.value.field == "amount_fen"
    assert run(allocate(0))[1] == []
