from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain import money
from services.billing.domain.months import check_month, first_day, month_of, next_month


@pytest.mark.parametrize("yuan,fen", [(3600, 360000), ("12.50", 1250), (Decimal("0.01"), 1), ("-7.3", -730)])
def test_yuan_become_exact_fen(yuan, fen):
    assert money.fen(yuan) == fen


@pytest.mark.parametrize("yuan,error", [(0.1, TypeError), (True, TypeError), ("0.001", ValueError),
                                        ("ten", ValueError)])
def test_floats_and_fractions_of_a_fen_are_refused(yuan, error):
    with pytest.raises(error):
        money.fen(yuan)


@pytest.mark.parametrize("amount,share,part", [
    (1000, "0.1", 100), (333, "0.1", 33), (335, "0.1", 34), (5, "0.5", 3), (-5, "0.5", -3), (-335, "0.1", -34),
    (999, "0", 0), (999, "1", 999),
])
def test_a_share_is_rounded_half_away_from_zero(amount, share, part):
    assert money.part(amount, Decimal(share)) == part


@pytest.mark.parametrize("value,share", [("10%", "0.1"), ("12.5%", "0.125"), (0.1, "0.1"), ("0.3", "0.3"), (0, "0"),
                                         (1, "1"), (Decimal("0.05"), "0.05")])
def test_shares_are_read_exactly(value, share):
    assert money.share(value) == Decimal(share)


@pytest.mark.parametrize("value", ["110%", 1.5, -0.1, "ten", True, "nan"])
def test_shares_outside_0_to_1_are_refused(value):
    with pytest.raises(ValueError):
        money.share(value)


@pytest.mark.parametrize("fen,text", [(360000, "3600.00"), (-1250, "-12.50"), (7, "0.07"), (0, "0.00")])
def test_fen_are_shown_as_yuan(fen, text):
    assert money.yuan_text(fen) == text


@given(st.integers(min_value=0, max_value=10**12), st.decimals(min_value=0, max_value=1, places=4))
def test_a_part_lies_within_the_whole_and_a_reversal_mirrors_it(amount, share):
    part = money.part(amount, share)
    assert 0 <= part <= amount
    assert money.part(-amount, share) == -part


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_yuan_text_reads_back_as_the_same_fen(fen):
    assert money.fen(money.yuan_text(fen)) == fen


def test_months():
    assert month_of(date(2026, 3, 31)) == "2026-03"
    assert next_month("2026-12") == "2027-01"
    assert next_month("2026-01") == "2026-02"
    assert first_day("2026-02") == date(2026, 2, 1)


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "26-01", "2026/01", 202601])
def test_malformed_months_are_refused(month):
    with pytest.raises(ValueError):
        check_month(month)
