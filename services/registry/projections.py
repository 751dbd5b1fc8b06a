"""The registry's read models, each rebuilt from the store by `eldernet replay registry <name>`.

No read model holds an ID number: elders carry its masked form only.
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.db import UTCDateTime
from shared.projections import Projection

metadata = sa.MetaData()
P = "eldernet.registry."

areas = sa.Table(
    "registry_areas", metadata,
    sa.Column("code", sa.String(12), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("tier", sa.String(10), nullable=False),
    sa.Column("parent_code", sa.String(12), index=True),
    sa.Column("urban", sa.Boolean, nullable=False),
)

facilities = sa.Table(
    "registry_facilities", metadata,
    sa.Column("facility_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("ownership", sa.String(32), nullable=False),
    sa.Column("operator", sa.String(200), nullable=False),
    sa.Column("care_type", sa.String(16)),
    sa.Column("general_beds", sa.Integer, nullable=False),
    sa.Column("nursing_beds", sa.Integer, nullable=False),
    sa.Column("day_places", sa.Integer, nullable=False),
    sa.Column("canteen_seats", sa.Integer, nullable=False),
    sa.Column("floor_area_m2", sa.Integer, nullable=False),
    sa.Column("services", sa.JSON, nullable=False),
    sa.Column("star_rating", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_reason", sa.String(500)),
    sa.Column("residents", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

elders = sa.Table(
    "registry_elders", metadata,
    sa.Column("elder_id", sa.String(64), primary_key=True),
    sa.Column("id_number_masked", sa.String(18), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("sex", sa.String(8), nullable=False),
    sa.Column("birth_date", sa.Date, nullable=False),
    sa.Column("home_area_code", sa.String(12), nullable=False, index=True),
    sa.Column("household", sa.JSON, nullable=False),
    sa.Column("dementia", sa.Boolean, nullable=False),
    sa.Column("disability_level", sa.String(20)),
    sa.Column("disability_severity", sa.String(10)),
    sa.Column("assessed_on", sa.Date),
    sa.Column("assessment_valid_until", sa.Date),
)


RECODED = P + "AreaRecoded"  # the kernel's hand-off of a re-coded area (shared/recoding.py)


def _recode(conn, column, data) -> None:
    """Records of a re-coded area are shown under its new code; their history keeps the old one
    (a village moved to another town leaves its old town's lists and statistics)."""
    old, new = data["from_area"], data["to_area"]
    conn.execute(column.table.update().where(column.like(old + "%"))
                 .values({column.name: sa.literal(new) + sa.func.substr(column, len(old) + 1)}))


def _date(value):
    from datetime import date

    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


class AreaTree(Projection):
    name = "areas"
    tables = (areas,)
    handles = frozenset({P + "AreaRegistered", P + "AreaRenamed"})

    def apply(self, conn, event):
        d = event.data
        if event.type == P + "AreaRegistered":
            conn.execute(areas.insert().values(code=d["code"], name=d["name"], tier=d["tier"],
                                               parent_code=d["parent_code"], urban=d["urban"]))
        else:
            conn.execute(areas.update().where(areas.c.code == d["code"]).values(name=d["name"]))


class FacilityList(Projection):
    name = "facilities"
    tables = (facilities,)
    handles = frozenset(P + t for t in (
        "FacilityRegistered", "FacilityCapacityChanged", "FacilityRated", "FacilitySuspended",
        "FacilityReopened", "FacilityClosed", "ResidentAdmitted", "ResidentDischarged", "FacilityMoved")) | {RECODED}

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        if event.type == RECODED:
            _recode(conn, facilities.c.area_code, d)
            return
        where = facilities.c.facility_id == d["facility_id"]
        if kind == "FacilityRegistered":
            conn.execute(facilities.insert().values(
                facility_id=d["facility_id"], kind=d["kind"], name=d["name"], area_code=d["area_code"],
                address=d["address"], ownership=d["ownership"], operator=d["operator"], care_type=d["care_type"],
                services=list(d["services"]), star_rating=d["star_rating"], status="open", residents=0,
                updated_at=event.time, **d["capacity"]))
            return
        changes = {
            "FacilityCapacityChanged": lambda: dict(d["capacity"]),
            "FacilityRated": lambda: {"star_rating": d["star_rating"]},
            "FacilitySuspended": lambda: {"status": "suspended", "status_reason": d["reason"]},
            "FacilityReopened": lambda: {"status": "open", "status_reason": None},
            "FacilityClosed": lambda: {"status": "closed", "status_reason": d["reason"]},
            "ResidentAdmitted": lambda: {"residents": facilities.c.residents + 1},
            "ResidentDischarged": lambda: {"residents": facilities.c.residents - 1},
            "FacilityMoved": lambda: {"area_code": d["area_code"]},
        }[kind]()
        conn.execute(facilities.update().where(where).values(updated_at=event.time, **changes))


class ElderList(Projection):
    name = "elders"
    tables = (elders,)
    handles = frozenset(P + t for t in ("ElderRegistered", "DisabilityAssessed", "HouseholdChanged", "ElderMoved",
                                        "AreaRecoded"))

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        if event.type == RECODED:
            _recode(conn, elders.c.home_area_code, d)
            return
        if kind == "ElderRegistered":
            conn.execute(elders.insert().values(
                elder_id=d["elder_id"], id_number_masked=d["id_number_masked"], name=d["name"], sex=d["sex"],
                birth_date=_date(d["birth_date"]), home_area_code=d["home_area_code"],
                household=list(d["household"]), dementia=d["dementia"]))
            return
        where = elders.c.elder_id == d["elder_id"]
        if kind == "DisabilityAssessed":
            # The newest assessment counts, even when an older one is recorded late (offline village).
            newer_or_first = sa.or_(elders.c.assessed_on.is_(None), elders.c.assessed_on <= _date(d["assessed_on"]))
            conn.execute(elders.update().where(where, newer_or_first).values(
                disability_level=d["level"], disability_severity=d["severity"],
                assessed_on=_date(d["assessed_on"]), assessment_valid_until=_date(d["valid_until"])))
        elif kind == "HouseholdChanged":
            conn.execute(elders.update().where(where).values(household=list(d["household"])))
        else:
            conn.execute(elders.update().where(where).values(home_area_code=d["home_area_code"]))


def registry_projections() -> list[Projection]:
    return [AreaTree(), FacilityList(), ElderList()]
