"""Queries on the billing read models: policies in force, claims, statements with their lines,
budgets with spend to date, a summary per area, and a statement as CSV for a finance office."""
from __future__ import annotations

import csv
import io
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from services.billing.domain.money import yuan_text
from services.billing.domain.statements import CODE_LENGTH
from services.billing.projections import budgets, claims, policies, statement_lines, statements

CLAIM_FILTERS = ("status", "elder_id", "facility_id", "month")


def inside(column, area_code: str):
    """Rows whose area lies inside ``area_code`` (GB/T 2260 codes nest by prefix)."""
    return column.like(area_code + "%")


def enclosing(area_code: str) -> list[str]:
    """``area_code`` and the areas above it, down from the city."""
    return [area_code[:n] for n in sorted(CODE_LENGTH.values()) if n <= len(area_code)]


# -- policies -----------------------------------------------------------------------------------
def policies_for(conn: Connection, area_code: str, on: date | None = None) -> list[dict]:
    """The versions of the policies that pay in ``area_code`` (set by it or an area enclosing it),
    those in force on ``on`` when given; newest version first."""
    query = sa.select(policies).where(policies.c.set_by.in_(enclosing(area_code)))
    if on is not None:
        query = query.where(policies.c.effective_from <= on,
                            sa.or_(policies.c.effective_to.is_(None), policies.c.effective_to >= on))
    rows = conn.execute(query.order_by(policies.c.set_by, policies.c.policy_id, policies.c.version.desc())).mappings()
    return [{**row["policy"], "effective_to": row["effective_to"], "written_to": row["written_to"],
             "published_at": row["published_at"]} for row in rows]


# -- claims -------------------------------------------------------------------------------------
def get_claim(conn: Connection, booking_id: str) -> dict | None:
    row = conn.execute(sa.select(claims).where(claims.c.booking_id == booking_id)).mappings().first()
    return dict(row) if row else None


def list_claims(conn: Connection, area_code: str, *, limit: int = 50, offset: int = 0,
                **filters) -> tuple[list[dict], int]:
    query = sa.select(claims).where(inside(claims.c.area_code, area_code))
    for name in CLAIM_FILTERS:
        if filters.get(name) is not None:
            query = query.where(claims.c[name] == filters[name])
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    order = (claims.c.service_date.desc(), claims.c.booking_id)
    return [dict(r) for r in conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings()], total


# -- statements ---------------------------------------------------------------------------------
def statement_id(area_code: str, month: str, facility_id: str | None = None) -> str:
    scope = area_code if facility_id is None else f"facility-{facility_id}"
    return f"subsidy-statement-{scope}-{month}"


def get_statement(conn: Connection, area_code: str, month: str, facility_id: str | None = None,
                  with_lines: bool = True) -> dict | None:
    sid = statement_id(area_code, month, facility_id)
    row = conn.execute(sa.select(statements).where(statements.c.statement_id == sid)).mappings().first()
    if row is None:
        return None
    statement = dict(row)
    if with_lines:
        lines = conn.execute(sa.select(statement_lines).where(statement_lines.c.statement_id == sid)
                             .order_by(statement_lines.c.position)).mappings()
        statement["line_items"] = [{**r["line"], "line_key": r["line_key"], "adjustment_for": r["adjustment_for"],
                               "dated": str(r["dated"])} for r in lines]
    return statement


def list_statements(conn: Connection, area_code: str, month: str | None = None, facilities: bool = False,
                    limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The statements of areas (or of facilities) inside ``area_code``, newest month first."""
    c = statements.c
    query = sa.select(statements).where(inside(c.area_code, area_code),
                                        c.facility_id.isnot(None) if facilities else c.facility_id.is_(None))
    if month is not None:
        query = query.where(c.month == month)
    total = conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    rows = conn.execute(query.order_by(c.month.desc(), c.area_code, c.facility_id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], total


def summary(conn: Connection, area_code: str, month: str) -> dict:
    """The area's statement for ``month`` and those of the areas one tier below it, with claims by status."""
    c = statements.c
    own = get_statement(conn, area_code, month, with_lines=False)
    below = [n for n in sorted(CODE_LENGTH.values()) if n > len(area_code)]
    parts = []
    if below:
        rows = conn.execute(sa.select(statements).where(inside(c.area_code, area_code), c.facility_id.is_(None),
                                                        sa.func.length(c.area_code) == below[0], c.month == month)
                            .order_by(c.area_code)).mappings()
        parts = [dict(r) for r in rows]
    k = claims.c
    by_status = conn.execute(sa.select(k.status, sa.func.count(), sa.func.coalesce(sa.func.sum(k.subsidy_fen), 0))
                             .where(inside(k.area_code, area_code), k.month == month).group_by(k.status)).all()
    return {"area_code": area_code, "month": month, "statement": own, "areas": parts,
            "claims": [{"status": s, "count": n, "subsidy_fen": int(fen)} for s, n, fen in sorted(by_status)]}


CSV_COLUMNS = ("line_key", "booking_id", "elder_id", "facility_id", "area_code", "service", "service_date", "units",
               "gross_yuan", "subsidy_yuan", "copay_yuan", "policy_id", "policy_version", "budget_line",
               "adjustment_for", "dated")


def statement_csv(statement: dict) -> str:
    """A statement's lines as CSV (yuan with two decimals, exact) and a total row that adds up."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in statement["line_items"]:
        writer.writerow([item["line_key"], item["booking_id"], item["elder_id"], item["facility_id"], item["area_code"],
                         item["service"], item["service_date"], item["units"], yuan_text(item["gross_fen"]),
                         yuan_text(item["subsidy_fen"]), yuan_text(item["copay_fen"]), item["policy_id"],
                         item["policy_version"], item["budget_line"], item["adjustment_for"] or "", item["dated"]])
    writer.writerow(["total", "", "", "", statement["area_code"], "", statement["month"], "",
                     yuan_text(statement["gross_fen"]), yuan_text(statement["subsidy_fen"]),
                     yuan_text(statement["copay_fen"]), "", "", "", "", ""])
    return out.getvalue()


# -- budgets ------------------------------------------------------------------------------------
def list_budgets(conn: Connection, area_code: str, year: int | None = None) -> list[dict]:
    """Budgets of ``area_code``'s enclosing areas and of areas inside it (who pays for it, and what it pays)."""
    c = budgets.c
    query = sa.select(budgets).where(sa.or_(c.area_code.in_(enclosing(area_code)), inside(c.area_code, area_code)))
    if year is not None:
        query = query.where(c.year == year)
    rows = conn.execute(query.order_by(c.area_code, c.budget_line, c.year)).mappings()
    return [{**row, "remaining_fen": row["allocated_fen"] - row["spent_fen"]} for row in rows]
