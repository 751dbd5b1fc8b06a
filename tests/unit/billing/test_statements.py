from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from shared.aggregate import Rejected
from services.billing.domain import statements as s
from services.billing.domain.pricing import price

from billing_examples import AT, CITY, DISTRICT, TOWN, VILLAGE, delivery, elder, policies

LINE = price(delivery(), elder(), policies())  # 2026-11-20, subsidy 2700, co-payment 300
NOVEMBER = s.StatementKey(DISTRICT, "2026-11")
DECEMBER_2 = datetime(2026, 12, 2, tzinfo=timezone.utc)


def run(*commands):
    history = []
    for command in commands:
        history += s.statement.run(history, command)[1]
    return s.statement.fold(history), history


def add(key=NOVEMBER, line_key="b1/1", line=LINE, at=AT):
    return s.AddLine(key, line_key, line, at)


def approve(tier, area, key=NOVEMBER):
    return s.ApproveStatement(key, tier, area, f"{tier} 财务科", DECEMBER_2)


def test_statement_ids_name_the_area_or_facility_and_the_month():
    assert s.statement.stream_id(NOVEMBER.id) == "subsidy-statement-210402-2026-11"
    assert s.StatementKey(VILLAGE, "2026-11", "f1").id == "facility-f1-2026-11"


@pytest.mark.parametrize("area,tiers", [(VILLAGE, ("town", "district", "city")), (TOWN, ("town", "district", "city")),
                                        (DISTRICT, ("district", "city")), (CITY, ("city",))])
def test_a_statement_is_approved_by_the_tiers_at_and_above_its_area(area, tiers):
    assert s.StatementKey(area, "2026-11").approving_tiers() == tiers


def test_lines_of_the_month_add_up_to_the_statement():
    second = price(delivery(booking_id="b2", units=1), elder(), policies())
    state, events = run(add(), add(line_key="b2/1", line=second))
    assert isinstance(events[0], s.StatementOpened)
    assert events[1] == s.LineAdded(NOVEMBER, "b1/1", LINE, None, AT.date())
    assert (state.subsidy_fen, state.copay_fen, state.adjustments_fen) == (2700 + 900, 300 + 100, 0)


def test_the_same_line_lands_once():
    state, _ = run(add(), add(), add(line=LINE.reversed(), line_key="b1/1/reversal"))
    assert (state.subsidy_fen, len(state.line_keys)) == (0, 2)


@pytest.mark.parametrize("command,field", [
    (add(key=s.StatementKey("210403", "2026-11")), "line.area_code"),
    (add(key=s.StatementKey(VILLAGE, "2026-11", "f2")), "line.facility_id"),
    (add(key=s.StatementKey(DISTRICT, "2026-10")), "key.month"),
])
def test_a_line_outside_the_statement_is_refused(command, field):
    with pytest.raises(Rejected) as error:
        run(command)
    assert error.value.field == field


def test_a_facility_statement_takes_that_facilitys_lines_wherever_given():
    key = s.StatementKey("210402001001", "2026-11", "f1")
    assert run(add(key=key))[0].subsidy_fen == 2700


def test_a_line_of_a_closed_month_lands_as_a_dated_adjustment():
    december = s.StatementKey(DISTRICT, "2026-12")
    state, events = run(add(key=december, at=datetime(2026, 12, 5, tzinfo=timezone.utc)))
    assert events[-1].adjustment_for == "2026-11" and events[-1].dated == date(2026, 12, 5)
    assert (state.subsidy_fen, state.adjustments_fen) == (2700, 2700)


def test_a_closed_statement_takes_no_more_lines():
    with pytest.raises(Rejected, match="as an adjustment") as error:
        run(add(), s.CloseStatement(NOVEMBER, DECEMBER_2), add(line_key="b2/1"))
    assert error.value.field == "key.month"


@pytest.mark.parametrize("service_date,landed_on,closed,month", [
    (date(2026, 11, 20), date(2026, 12, 5), set(), "2026-11"),
    (date(2026, 11, 20), date(2026, 12, 5), {"2026-11"}, "2026-12"),
    (date(2026, 10, 20), date(2026, 12, 5), {"2026-10", "2026-11"}, "2026-12"),
    (date(2026, 11, 30), date(2026, 12, 31), {"2026-11", "2026-12"}, "2027-01"),
    (date(2026, 10, 20), date(2026, 10, 31), {"2026-10"}, "2026-11"),
])
def test_a_line_lands_in_its_service_month_or_the_first_open_month_after(service_date, landed_on, closed, month):
    assert s.route_line(service_date, landed_on, closed) == month


def test_a_line_lands_in_its_area_its_ancestors_and_its_facility():
    keys = s.statement_keys(LINE, "2026-11", facility_area="210402003002")
    assert [k.id for k in keys] == ["2104-2026-11", "210402-2026-11", "210402003-2026-11",
                                    "210402003001-2026-11", "facility-f1-2026-11"]
    assert keys[-1].area_code == "210402003002"


def test_a_month_closes_with_its_totals_once_it_is_over():
    with pytest.raises(Rejected, match="not over before 2026-12-01"):
        run(add(), s.CloseStatement(NOVEMBER, AT))
    state, events = run(add(), s.CloseStatement(NOVEMBER, DECEMBER_2), s.CloseStatement(NOVEMBER, DECEMBER_2))
    assert events[-1] == s.StatementClosed(NOVEMBER, date(2026, 12, 2), 1, 2700, 300, 0)
    assert state.status == "closed"


def test_an_empty_month_can_be_closed():
    _, events = run(s.CloseStatement(NOVEMBER, DECEMBER_2))
    assert [type(e).__name__ for e in events] == ["StatementOpened", "StatementClosed"]
    assert events[-1].subsidy_fen == 0


def test_approval_goes_up_the_tiers_then_locks_the_figures():
    state, events = run(add(), s.CloseStatement(NOVEMBER, DECEMBER_2), approve("district", DISTRICT),
                        approve("city", CITY))
    assert events[-3] == s.StatementApproved(NOVEMBER, "district", DISTRICT, "district 财务科", 2700, 0)
    assert events[-1] == s.StatementLocked(NOVEMBER, 2700, 300)
    assert (state.status, state.approvals) == ("locked", ("district", "city"))
    with pytest.raises(Rejected):
        s.statement.run(events, add(line_key="b2/1"))
    assert s.statement.run(events, approve("city", CITY))[1] == []


@pytest.mark.parametrize("approvals,field,message", [
    ([approve("city", CITY)], "tier", "the district approves next"),
    ([approve("town", TOWN)], "tier", "the district approves next"),
    ([approve("district", "210403")], "approver_area", "the district approving is 210402"),
    ([approve("district", DISTRICT), approve("city", "2105")], "approver_area", "the city approving is 2104"),
    ([replace(approve("district", DISTRICT), approver=" ")], "approver", "who approves?"),
])
def test_approval_out_of_turn_or_by_the_wrong_area_is_refused(approvals, field, message):
    with pytest.raises(Rejected) as error:
        run(add(), s.CloseStatement(NOVEMBER, DECEMBER_2), *approvals)
    assert (error.value.field, error.value.reason) == (field, message)


def test_an_open_statement_is_closed_before_approval():
    with pytest.raises(Rejected, match="close the statement before approving it"):
        run(add(), approve("district", DISTRICT))


def test_a_village_statement_is_approved_by_town_district_and_city():
    key = s.StatementKey(VILLAGE, "2026-11")
    state, _ = run(add(key=key), s.CloseStatement(key, DECEMBER_2), approve("town", TOWN, key),
                   approve("district", DISTRICT, key), approve("city", CITY, key))
    assert state.status == "locked"


def test_a_command_for_another_statement_is_refused():
    with pytest.raises(Rejected) as error:
        run(add(), s.CloseStatement(s.StatementKey(DISTRICT, "2026-12"), datetime(2027, 1, 2, tzinfo=timezone.utc)))
    assert error.value.field == "key"
