"""The billing service's read models, each rebuilt from the store by `eldernet replay billing <name>`.

* ``policies``: every published policy version, with the day its successor ends it;
* ``claims``: one row per delivered booking, its current revision, line and review status;
* ``statements``: each statement (per area and per facility, per month) with its totals and
  approvals, and its lines — the totals are kept as sums of the lines, so they add up to the fen;
* ``budgets``: allocation and spend per area, budget line and year, with the thresholds passed.

A node holds what it wrote and what sync brought it: its subtree's claims and statements, and the
policies of the areas enclosing it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from shared.db import UTCDateTime
from shared.projections import Projection
from services.billing.schemas import PREFIX as P, ClaimLineSchema, SubsidyPolicySchema

metadata = sa.MetaData()


def _fen(name: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.BigInteger, nullable=False, default=0, **kwargs)


policies = sa.Table(
    "billing_policies", metadata,
    sa.Column("policy_id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("set_by", sa.String(12), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("services", sa.JSON, nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("written_to", sa.Date),  # as written in the file
    sa.Column("effective_to", sa.Date),  # written, or the day before the next version takes effect
    sa.Column("policy", sa.JSON, nullable=False),  # the whole version, as the event carries it
    sa.Column("published_at", UTCDateTime, nullable=False),
)

claims = sa.Table(
    "billing_claims", metadata,
    sa.Column("booking_id", sa.String(64), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("elder_id", sa.String(64), nullable=False, index=True),
    sa.Column("facility_id", sa.String(64), nullable=False, index=True),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("service", sa.String(64), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("units", sa.Integer, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    _fen("gross_fen"), _fen("subsidy_fen"), _fen("copay_fen"),
    sa.Column("capped", sa.Boolean, nullable=False, default=False),
    sa.Column("policy_id", sa.String(64)),
    sa.Column("policy_version", sa.Integer),
    sa.Column("set_by", sa.String(12)),
    sa.Column("budget_line", sa.String(64)),
    sa.Column("not_eligible", sa.String(32)),  # pricing.REASONS
    sa.Column("reason", sa.String(1000)),  # why not eligible, rejected, reversed or withdrawn
    sa.Column("reviewer", sa.String(200)),
    sa.Column("payment_ref", sa.String(200)),
    sa.Column("paid_on", sa.Date),
    sa.Column("delivered_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_billing_claims_cap", "elder_id", "policy_id", "month"),
)

statements = sa.Table(
    "billing_statements", metadata,
    sa.Column("statement_id", sa.String(128), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("facility_id", sa.String(64), index=True),
    sa.Column("month", sa.String(7), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("lines", sa.Integer, nullable=False, default=0),
    _fen("subsidy_fen"), _fen("copay_fen"), _fen("gross_fen"), _fen("adjustments_fen"),
    sa.Column("approvals", sa.JSON, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

statement_lines = sa.Table(
    "billing_statement_lines", metadata,
    sa.Column("statement_id", sa.String(128), primary_key=True),
    sa.Column("line_key", sa.String(200), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("line", sa.JSON, nullable=False),
    sa.Column("adjustment_for", sa.String(7)),
    sa.Column("dated", sa.Date, nullable=False),
)

budgets = sa.Table(
    "billing_budgets", metadata,
    sa.Column("budget_id", sa.String(128), primary_key=True),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("budget_line", sa.String(64), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    _fen("allocated_fen"), _fen("spent_fen"),
    sa.Column("warnings", sa.JSON, nullable=False),  # thresholds passed, as text ("0.8")
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


def _types(*names: str) -> frozenset:
    return frozenset(P + name for name in names)


def _upsert(conn, table, key: dict, insert: dict, update: dict) -> None:
    where = [table.c[name] == value for name, value in key.items()]
    if conn.execute(sa.select(*[table.c[name] for name in key]).where(*where)).first() is None:
        conn.execute(table.insert().values(**key, **insert, **update))
    else:
        conn.execute(table.update().where(*where).values(**update))


class PolicyList(Projection):
    name = "policies"
    tables = (policies,)
    handles = _types("PolicyPublished")

    def apply(self, conn, event):
        d = event.data["policy"]
        policy = SubsidyPolicySchema().load(d)
        conn.execute(policies.insert().values(
            policy_id=policy.policy_id, version=policy.version, set_by=policy.set_by, name=policy.name,
            services=list(policy.services), effective_from=policy.effective_from, written_to=policy.effective_to,
            effective_to=policy.effective_to, policy=d, published_at=event.time))
        self._end_open_versions(conn, policy.policy_id)

    @staticmethod
    def _end_open_versions(conn, policy_id: str) -> None:
        """As policies.check_policy_set does: an open version ends the day before the next one."""
        rows = conn.execute(sa.select(policies.c.version, policies.c.effective_from, policies.c.written_to)
                            .where(policies.c.policy_id == policy_id).order_by(policies.c.version)).all()
        for row in rows:
            later = [r.effective_from for r in rows if r.version > row.version]
            end = row.written_to if row.written_to is not None or not later else min(later) - timedelta(days=1)
            conn.execute(policies.update().where(policies.c.policy_id == policy_id, policies.c.version == row.version)
                         .values(effective_to=end))


class ClaimList(Projection):
    name = "claims"
    tables = (claims,)
    _STATUS = {"ClaimSubmitted": "submitted", "ClaimApproved": "approved", "ClaimRejected": "rejected",
               "ClaimPaid": "paid", "ClaimReversed": "reversed", "ClaimWithdrawn": "withdrawn"}
    handles = _types("ClaimPriced", "ClaimNotEligible", *_STATUS)

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        if kind in ("ClaimPriced", "ClaimNotEligible"):
            self._priced(conn, event)
            return
        values = {"status": self._STATUS[kind], "updated_at": event.time}
        if kind in ("ClaimApproved", "ClaimRejected"):
            values["reviewer"] = d["reviewer"]
        if kind == "ClaimPaid":
            values.update(payment_ref=d["payment_ref"], paid_on=date.fromisoformat(d["paid_on"]))
        if "reason" in d:
            values["reason"] = d["reason"]
        conn.execute(claims.update().where(claims.c.booking_id == d["booking_id"]).values(**values))

    @staticmethod
    def _priced(conn, event):
        d = event.data
        delivery = d["delivery"]
        line = d.get("line") or {}
        outcome = d.get("outcome") or {}
        values = dict(
            revision=d["revision"], status="priced" if line else "not_eligible", elder_id=delivery["elder_id"],
            facility_id=delivery["facility_id"], area_code=delivery["area_code"], service=delivery["service"],
            service_date=date.fromisoformat(delivery["service_date"]), month=delivery["service_date"][:7],
            units=delivery["units"],
            unit=delivery["unit"], gross_fen=line.get("gross_fen", 0), subsidy_fen=line.get("subsidy_fen", 0),
            copay_fen=line.get("copay_fen", 0), capped=line.get("capped", False),
            policy_id=line.get("policy_id", outcome.get("policy_id")),
            policy_version=line.get("policy_version", outcome.get("policy_version")),
            set_by=line.get("set_by"), budget_line=line.get("budget_line"), not_eligible=outcome.get("reason"),
            reason=outcome.get("detail"), reviewer=None, payment_ref=None, paid_on=None,
            delivered_at=datetime.fromisoformat(delivery["delivered_at"]), updated_at=event.time)
        if d["revision"] == 1:  # a new claim: no row to look for
            conn.execute(claims.insert().values(booking_id=d["booking_id"], **values))
        else:
            conn.execute(claims.update().where(claims.c.booking_id == d["booking_id"]).values(**values))


class StatementBoard(Projection):
    name = "statements"
    tables = (statements, statement_lines)
    handles = _types("StatementOpened", "LineAdded", "StatementClosed", "StatementApproved", "StatementLocked")

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        key = d["key"]
        statement_id = event.stream_id
        where = statements.c.statement_id == statement_id
        if kind == "StatementOpened":
            conn.execute(statements.insert().values(
                statement_id=statement_id, area_code=key["area_code"], facility_id=key["facility_id"],
                month=key["month"], status="open", lines=0, subsidy_fen=0, copay_fen=0, gross_fen=0,
                adjustments_fen=0, approvals=[], updated_at=event.time))
        elif kind == "LineAdded":
            self._add(conn, event, statement_id)
        elif kind == "StatementClosed":
            closed_on = date.fromisoformat(d["closed_on"])
            conn.execute(statements.update().where(where).values(status="closed", closed_on=closed_on,
                                                                  updated_at=event.time))
        elif kind == "StatementApproved":
            approvals = conn.execute(sa.select(statements.c.approvals).where(where)).scalar_one()
            approval = {"tier": d["tier"], "area_code": d["area_code"], "approver": d["approver"],
                        "subsidy_fen": d["subsidy_fen"], "at": event.time.isoformat()}
            conn.execute(statements.update().where(where).values(approvals=[*approvals, approval],
                                                                  updated_at=event.time))
        else:
            conn.execute(statements.update().where(where).values(status="locked", updated_at=event.time))

    @staticmethod
    def _add(conn, event, statement_id: str) -> None:
        d, line = event.data, event.data["line"]
        conn.execute(statement_lines.insert().values(
            statement_id=statement_id, line_key=d["line_key"], position=event.position, line=line,
            adjustment_for=d["adjustment_for"], dated=date.fromisoformat(d["dated"])))
        adjustment = line["subsidy_fen"] if d["adjustment_for"] else 0
        c = statements.c
        conn.execute(statements.update().where(c.statement_id == statement_id).values(
            lines=c.lines + 1, subsidy_fen=c.subsidy_fen + line["subsidy_fen"],
            copay_fen=c.copay_fen + line["copay_fen"], gross_fen=c.gross_fen + line["gross_fen"],
            adjustments_fen=c.adjustments_fen + adjustment, updated_at=event.time))


class BudgetBoard(Projection):
    name = "budgets"
    tables = (budgets,)
    handles = _types("BudgetAllocated", "SpendRecorded", "BudgetThresholdPassed")

    def apply(self, conn, event):
        d, kind = event.data, event.type[len(P):]
        key = d["key"]
        budget_id = event.stream_id
        if kind == "BudgetAllocated":
            update = {"allocated_fen": d["allocated_fen"]}
        elif kind == "SpendRecorded":
            update = {"spent_fen": d["spent_fen"]}
        else:
            warned = conn.execute(sa.select(budgets.c.warnings).where(budgets.c.budget_id == budget_id)).scalar()
            update = {"warnings": [*(warned or []), d["threshold"]]}
        insert = {"area_code": key["area_code"], "budget_line": key["budget_line"], "year": key["year"],
                  "allocated_fen": 0, "spent_fen": 0, "warnings": []}
        insert = {k: v for k, v in insert.items() if k not in update}
        _upsert(conn, budgets, {"budget_id": budget_id}, insert, {**update, "updated_at": event.time})


def line_of(row: dict):
    """A statement line's row as the domain's ClaimLine."""
    return ClaimLineSchema().load(row)


def billing_projections() -> list[Projection]:
    return [PolicyList(), ClaimList(), StatementBoard(), BudgetBoard()]


