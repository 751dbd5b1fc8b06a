from datetime import datetime, timezone

import pytest

from shared.aggregate import Rejected
from services.registry.domain.area_import import plan_import
from services.registry.domain.areas import AreaRegistered, AreaRenamed, RegisterArea, RenameArea, area

AT = datetime(2026, 11, 23, tzinfo=timezone.utc)


def register(code, tier, parent, name="x"):
    return area.run([], RegisterArea(code, name, tier, parent, True, AT))[1]


def test_each_tier_has_its_code_length_and_a_prefix_parent():
    assert register("2104", "city", None) == [AreaRegistered("2104", "x", "city", None, True)]
    assert register("210402", "district", "2104")
    assert register("210402003", "town", "210402")
    assert register("210402003001", "village", "210402003")


@pytest.mark.parametrize("code,tier,parent,field", [
    ("21040", "district", "2104", "code"),
    ("210402", "town", "2104", "code"),
    ("210402", "district", "5119", "parent_code"),
    ("210402", "district", None, "parent_code"),
    ("2104", "city", "21", "parent_code"),
    ("210402", "province", "2104", "tier"),
])
def test_codes_tiers_and_parents_that_do_not_fit_are_rejected_naming_the_field(code, tier, parent, field):
    with pytest.raises(Rejected) as error:
        register(code, tier, parent)
    assert error.value.field == field


def test_registering_the_same_area_again_is_a_no_op_but_a_different_name_is_refused():
    history = register("2104", "city", None, name="抚顺市")
    assert area.run(history, RegisterArea("2104", "抚顺市", "city", None, True, AT))[1] == []
    with pytest.raises(Rejected):
        area.run(history, RegisterArea("2104", "巴中市", "city", None, True, AT))


def test_rename():
    history = register("2104", "city", None, name="抚顺")
    assert area.run(history, RenameArea("2104", "抚顺市", AT))[1] == [AreaRenamed("2104", "抚顺市")]


def rows(*specs):
    return [dict(zip(("code", "name", "tier", "parent"), spec)) for spec in specs]


def test_an_import_is_planned_parents_first_with_urban_from_names():
    plan = plan_import(rows(("210402003001", "永安社区", "village", "210402003"), ("210402003", "永安台街道", "town", "210402"),
                            ("210402", "新抚区", "district", "2104"), ("210402003002", "下屯村", "village", "210402003")),
                       known={"2104": "city"}, at=AT)
    assert plan.ok
    assert [c.code for c in plan.commands] == ["210402", "210402003", "210402003001", "210402003002"]
    assert [c.urban for c in plan.commands] == [True, True, True, False]


def test_an_import_with_problems_plans_nothing_and_names_every_row_and_field():
    plan = plan_import(rows(("210402", "新抚区", "district", "2104"), ("210402", "again", "district", "2104"),
                            ("21040200", "bad code", "town", "210402"), ("210403001", "orphan", "town", "210403"),
                            ("210402009", "self", "town", "210402009"), ("210402008", "", "town", "210402")),
                       known={"2104": "city"}, at=AT)
    assert not plan.ok and plan.commands == []
    found = {(p.row, p.field) for p in plan.problems}
    assert found == {(2, "code"), (3, "code"), (4, "parent"), (5, "parent"), (6, "name")}
    assert "cycle" in next(str(p) for p in plan.problems if p.row == 5)
    assert "unknown parent area 210403" in next(str(p) for p in plan.problems if p.row == 4)
