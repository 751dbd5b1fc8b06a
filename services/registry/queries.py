"""Queries on the registry's read models: lists with filters and pages, and tier statistics."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.registry.domain.facilities import COMMUNITY_KINDS, INSTITUTIONAL_KINDS
from services.registry.domain.statistics import TierFigures
from services.registry.projections import areas, elders, facilities


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def inside(column, area_code: str):
    """Rows whose area lies inside ``area_code`` (GB/T 2260 codes: a prefix test)."""
    return column.like(area_code + "%")


def _page(conn: Connection, query, order, limit: int, offset: int) -> tuple[list[dict], int]:
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings().all()
    return [dict(r) for r in rows], total


def list_areas(conn: Connection, area_code: str, tier: str | None, limit: int, offset: int):
    query = sa.select(areas).where(inside(areas.c.code, area_code))
    if tier:
        query = query.where(areas.c.tier == tier)
    return _page(conn, query, [areas.c.code], limit, offset)


def get_area(conn: Connection, code: str) -> dict | None:
    row = conn.execute(sa.select(areas).where(areas.c.code == code)).mappings().first()
    return dict(row) if row else None


def area_tiers(conn: Connection) -> dict[str, str]:
    return dict(conn.execute(sa.select(areas.c.code, areas.c.tier)).all())


def list_facilities(conn: Connection, area_code: str, kind: str | None, status: str | None, limit: int, offset: int):
    query = sa.select(facilities).where(inside(facilities.c.area_code, area_code))
    if kind:
        query = query.where(facilities.c.kind == kind)
    if status:
        query = query.where(facilities.c.status == status)
    return _page(conn, query, [facilities.c.area_code, facilities.c.name, facilities.c.facility_id], limit, offset)


def get_facility(conn: Connection, facility_id: str) -> dict | None:
    row = conn.execute(sa.select(facilities).where(facilities.c.facility_id == facility_id)).mappings().first()
    return dict(row) if row else None


def list_elders(conn: Connection, area_code: str, assessment_expired_on: date | None, limit: int, offset: int):
    query = sa.select(elders).where(inside(elders.c.home_area_code, area_code))
    if assessment_expired_on:
        query = query.where(elders.c.assessment_valid_until < assessment_expired_on)
    return _page(conn, query, [elders.c.home_area_code, elders.c.name, elders.c.elder_id], limit, offset)


def get_elder(conn: Connection, elder_id: str) -> dict | None:
    row = conn.execute(sa.select(elders).where(elders.c.elder_id == elder_id)).mappings().first()
    return dict(row) if row else None


def tier_figures(conn: Connection, area_code: str, as_of: date) -> TierFigures:
    in_area = inside(elders.c.home_area_code, area_code)
    counts = conn.execute(sa.select(*[
        sa.func.count().filter(elders.c.birth_date <= years_before(as_of, age)) for age in (60, 80, 100)
    ]).where(in_area)).one()
    open_facilities = sa.and_(inside(facilities.c.area_code, area_code), facilities.c.status != "closed")
    beds, nursing, residents = conn.execute(sa.select(
        sa.func.coalesce(sa.func.sum(facilities.c.general_beds + facilities.c.nursing_beds), 0),
        sa.func.coalesce(sa.func.sum(facilities.c.nursing_beds), 0),
        sa.func.coalesce(sa.func.sum(facilities.c.residents), 0),
    ).where(open_facilities, facilities.c.kind.in_(INSTITUTIONAL_KINDS))).one()
    by_kind = dict(conn.execute(sa.select(facilities.c.kind, sa.func.count())
                                .where(open_facilities).group_by(facilities.c.kind)).all())
    villages, covered = _coverage(conn, area_code)
    return TierFigures(area_code, *counts, beds=int(beds), nursing_beds=int(nursing), residents=int(residents),
                       facilities_by_kind=by_kind, villages=villages, covered_villages=covered)


def _coverage(conn: Connection, area_code: str) -> tuple[dict, dict]:
    village_rows = sa.and_(areas.c.tier == "village", inside(areas.c.code, area_code))
    served = (sa.select(facilities.c.area_code).where(facilities.c.kind.in_(COMMUNITY_KINDS),
                                                      facilities.c.status == "open").distinct())
    villages, covered = {"urban": 0, "rural": 0}, {"urban": 0, "rural": 0}
    for urban, total, with_facility in conn.execute(
            sa.select(areas.c.urban, sa.func.count(), sa.func.count().filter(areas.c.code.in_(served)))
            .where(village_rows).group_by(areas.c.urban)):
        key = "urban" if urban else "rural"
        villages[key], covered[key] = total, with_facility
    return villages, covered
