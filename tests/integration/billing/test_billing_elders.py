"""What billing knows of an elder is the newest the registry said of each attribute, whatever order
its events arrive in (the consumer handles several at once and retries), on SQLite and PostgreSQL."""
from datetime import date
from itertools import permutations

import sqlalchemy as sa

from shared.events import Event
from services.billing import elders

ELDER = "3f0c6a55-7b3e-4a36-9e2c-0d0e1f2a3b4c"


def event(kind, version, **data):
    return Event(type=elders.REGISTRY + kind, source="eldernet://v/registry", subject=f"elder-{ELDER}",
                 data={"elder_id": ELDER, **data}, stream_id=f"elder-{ELDER}", stream_version=version,
                 origin_node="v", area_code="210402003001")


HISTORY = [
    event("ElderRegistered", 1, birth_date="1940-01-01", home_area_code="210402003001", household=["empty_nest"],
          name="王", sex="male", id_number_masked="x"),
    event("DisabilityAssessed", 2, level="fully_disabled", severity="severe", assessed_on="2026-01-01"),
    event("HouseholdChanged", 3, household=["minimum_living_allowance", "living_alone"]),
    event("ElderMoved", 4, from_area_code="210402003001", home_area_code="210402003002"),
    event("DisabilityAssessed", 5, level="partly_disabled", severity="moderate", assessed_on="2026-06-01"),
]


def test_the_newest_word_on_each_attribute_wins_in_any_order(engine):
    elders.elders_table.create(engine)
    profiles = set()
    for order in permutations(HISTORY):
        with engine.begin() as conn:
            conn.execute(elders.elders_table.delete())
            for received in order:
                elders.learn(conn, received)
            profiles.add(elders.profile(conn, ELDER))
    [profile] = profiles
    assert (profile.birth_date, profile.home_area_code, profile.disability_level, profile.disability_severity,
            profile.household) == (date(1940, 1, 1), "210402003002", "partly_disabled", "moderate",
                                   ("living_alone", "minimum_living_allowance"))


def test_an_elder_heard_of_only_by_assessment_is_not_priced_as_known(engine):
    elders.elders_table.create(engine)
    with engine.begin() as conn:
        elders.learn(conn, HISTORY[1])
        assert elders.profile(conn, ELDER) is None
        assert conn.execute(sa.select(sa.func.count()).select_from(elders.elders_table)).scalar() == 1
