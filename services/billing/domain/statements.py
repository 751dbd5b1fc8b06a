"""Monthly subsidy statements (月度结算单) per area and per facility: open → closed → approved up the tiers.

Stream ``subsidy-statement-<area>-<YYYY-MM>`` or ``subsidy-statement-facility-<id>-<YYYY-MM>``.
A line lands in the month of its service while that month's statement is open; once it is closed
the line lands in the current open month as a dated adjustment for the closed month (route_line),
so a closed statement is never rewritten. A closed statement is approved by town, district and city
in turn, each approval an event naming the approver's tier and area; after the last it is locked.
Totals are kept as integer sums of the lines, so the statement total is the sum of its lines.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from shared.aggregate import Decider, Rejected
from services.billing.domain.months import first_day, month_of, next_month
from services.billing.domain.pricing import ClaimLine

CODE_LENGTH = {"city": 4, "district": 6, "town": 9, "village": 12}
APPROVAL_ORDER = ("town", "district", "city")


@dataclass(frozen=True)
class StatementKey:
    area_code: str  # the area whose statement it is (for a facility's: the facility's area, for approvals)
    month: str  # YYYY-MM
    facility_id: str | None = None

    @property
    def id(self) -> str:
        scope = self.area_code if self.facility_id is None else f"facility-{self.facility_id}"
        return f"{scope}-{self.month}"

    def approving_tiers(self) -> tuple:
        """Town, district, city: those at or above this area (a village has no approver of its own)."""
        return tuple(tier for tier in APPROVAL_ORDER if CODE_LENGTH[tier] <= len(self.area_code))


@dataclass(frozen=True)
class AddLine:
    key: StatementKey
    line_key: str  # claims.statement_line's key: the same line twice lands once
    line: ClaimLine
    at: datetime


@dataclass(frozen=True)
class CloseStatement:
    key: StatementKey
    at: datetime


@dataclass(frozen=True)
class ApproveStatement:
    key: StatementKey
    tier: str
    approver_area: str
    approver: str
    at: datetime


@dataclass(frozen=True)
class StatementOpened:
    key: StatementKey


@dataclass(frozen=True)
class LineAdded:
    key: StatementKey
    line_key: str
    line: ClaimLine
    adjustment_for: str | None  # the closed month a late line belongs to; None for this month's own
    dated: date  # the day it landed


@dataclass(frozen=True)
class StatementClosed:
    key: StatementKey
    closed_on: date
    lines: int
    subsidy_fen: int
    copay_fen: int
    adjustments_fen: int


@dataclass(frozen=True)
class StatementApproved:
    key: StatementKey
    tier: str
    area_code: str
    approver: str
    subsidy_fen: int  # the figures approved
    adjustments_fen: int


@dataclass(frozen=True)
class StatementLocked:
    key: StatementKey
    subsidy_fen: int
    copay_fen: int


@dataclass(frozen=True)
class Statement:
    key: StatementKey | None = None
    status: str = ""  # open, closed, locked
    line_keys: frozenset = frozenset()
    subsidy_fen: int = 0
    copay_fen: int = 0
    adjustments_fen: int = 0  # the part of subsidy_fen that is for earlier, closed months
    approvals: tuple = ()  # tiers, bottom up


def route_line(service_date: date, landed_on: date, closed_months) -> str:
    """The month whose statement a line lands in: its service month if open, else the first open
    month from the one it lands in (closed_months: the months of that statement scope now closed)."""
    month = month_of(service_date)
    if month not in closed_months:
        return month
    month = max(month_of(landed_on), month)
    while month in closed_months:
        month = next_month(month)
    return month


def statement_keys(line: ClaimLine, month: str, facility_area: str) -> tuple:
    """Every statement a line lands in: its area's and each ancestor's, and its facility's."""
    areas = tuple(line.area_code[:n] for n in sorted(CODE_LENGTH.values()) if n <= len(line.area_code))
    return (*(StatementKey(area, month) for area in areas), StatementKey(facility_area, month, line.facility_id))


def decide(state: Statement, command) -> list:
    if state.key and command.key != state.key:
        raise Rejected(f"this is the statement {state.key.id}", field="key")
    opened = [] if state.key else [StatementOpened(command.key)]
    if isinstance(command, AddLine):
        return opened + _add(state, command)
    if isinstance(command, CloseStatement):
        return opened + _close(state, command)
    if isinstance(command, ApproveStatement):
        return _approve(state, command)
    raise TypeError(f"unknown command {command!r}")


def _add(state: Statement, command: AddLine) -> list:
    key, line = command.key, command.line
    if command.line_key in state.line_keys:
        return []
    if key.facility_id is not None and line.facility_id != key.facility_id:
        raise Rejected(f"the line is of facility {line.facility_id}", field="line.facility_id")
    if key.facility_id is None and not line.area_code.startswith(key.area_code):
        raise Rejected(f"the line is of area {line.area_code}, outside {key.area_code}", field="line.area_code")
    if state.status not in ("", "open"):
        raise Rejected(f"the statement of {key.month} is {state.status}: land the line in the open month "
                       "as an adjustment (route_line)", field="key.month")
    service_month = month_of(line.service_date)
    if service_month > key.month:
        raise Rejected(f"a line for {service_month} cannot land in {key.month}", field="key.month")
    adjustment_for = service_month if service_month < key.month else None
    return [LineAdded(key, command.line_key, line, adjustment_for, command.at.date())]


def _close(state: Statement, command: CloseStatement) -> list:
    if state.status in ("closed", "locked"):
        return []
    month_over = first_day(next_month(command.key.month))
    if command.at.date() < month_over:
        raise Rejected(f"{command.key.month} is not over before {month_over}", field="key.month")
    return [StatementClosed(command.key, command.at.date(), len(state.line_keys), state.subsidy_fen,
                            state.copay_fen, state.adjustments_fen)]


def _approve(state: Statement, command: ApproveStatement) -> list:
    key, tier = command.key, command.tier
    if tier in state.approvals:
        return []
    if state.status != "closed":
        raise Rejected("close the statement before approving it" if state.status in ("", "open")
                       else "the statement is locked", field="key")
    tiers = key.approving_tiers()
    expected = tiers[len(state.approvals)]
    if tier != expected:
        raise Rejected(f"the {expected} approves next", field="tier")
    if command.approver_area != key.area_code[:CODE_LENGTH[tier]]:
        raise Rejected(f"the {tier} approving is {key.area_code[:CODE_LENGTH[tier]]}", field="approver_area")
    if not command.approver.strip():
        raise Rejected("who approves?", field="approver")
    approved = StatementApproved(key, tier, command.approver_area, command.approver.strip(), state.subsidy_fen,
                                 state.adjustments_fen)
    last = len(state.approvals) + 1 == len(tiers)
    return [approved, StatementLocked(key, state.subsidy_fen, state.copay_fen)] if last else [approved]


def evolve(state: Statement, event) -> Statement:
    if isinstance(event, StatementOpened):
        return Statement(event.key, "open")
    if isinstance(event, LineAdded):
        adjustment = event.line.subsidy_fen if event.adjustment_for else 0
        return replace(state, line_keys=state.line_keys | {event.line_key},
                       subsidy_fen=state.subsidy_fen + event.line.subsidy_fen,
                       copay_fen=state.copay_fen + event.line.copay_fen,
                       adjustments_fen=state.adjustments_fen + adjustment)
    if isinstance(event, StatementClosed):
        return replace(state, status="closed")
    if isinstance(event, StatementApproved):
        return replace(state, approvals=state.approvals + (event.tier,))
    if isinstance(event, StatementLocked):
        return replace(state, status="locked")
    return state


statement = Decider(category="subsidy-statement", initial=Statement, decide=decide, evolve=evolve)
