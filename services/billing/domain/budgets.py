"""Subsidy budgets (预算) per area, budget line and year: allocation, spend to date, warnings.

Stream ``subsidy-budget-<area>-<budget line>-<year>``. Spend comes from the lines that land on
statements (claims.statement_line), in the year of the statement month they land in, so a
budget's spend is the sum of those statements. Overspending is not refused: an elder's service
has already been given; the upper tier is warned instead, once per threshold passed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from shared.aggregate import Decider, Rejected

WARN_AT = (Decimal("0.8"), Decimal("1"))  # shares of the allocation spent that warn


@dataclass(frozen=True)
class BudgetKey:
    area_code: str  # the city or district that pays (the policy's set_by)
    budget_line: str
    year: int

    @property
    def id(self) -> str:
        return f"{self.area_code}-{self.budget_line}-{self.year}"


@dataclass(frozen=True)
class AllocateBudget:
    key: BudgetKey
    amount_fen: int  # added to the allocation; negative for a cut
    at: datetime


@dataclass(frozen=True)
class RecordSpend:
    key: BudgetKey
    spend_key: str  # the statement line's key: the same line spends once
    amount_fen: int  # negative for a reversal
    at: datetime


@dataclass(frozen=True)
class BudgetAllocated:
    key: BudgetKey
    amount_fen: int
    allocated_fen: int


@dataclass(frozen=True)
class SpendRecorded:
    key: BudgetKey
    spend_key: str
    amount_fen: int
    spent_fen: int


@dataclass(frozen=True)
class BudgetThresholdPassed:
    key: BudgetKey
    threshold: Decimal
    spent_fen: int
    allocated_fen: int


@dataclass(frozen=True)
class Budget:
    allocated_fen: int = 0
    spent_fen: int = 0
    spend_keys: frozenset = frozenset()
    warned: tuple = ()  # thresholds already warned of

    def share_spent(self) -> Decimal | None:
        return None if self.allocated_fen == 0 else Decimal(self.spent_fen) / self.allocated_fen


def decide(state: Budget, command) -> list:
    if isinstance(command, AllocateBudget):
        if command.amount_fen == 0:
            return []
        allocated = state.allocated_fen + command.amount_fen
        if allocated < 0:
            raise Rejected(f"would leave the allocation at {allocated} fen, below zero", field="amount_fen")
        return _with_warnings(state, BudgetAllocated(command.key, command.amount_fen, allocated))
    if isinstance(command, RecordSpend):
        if command.spend_key in state.spend_keys:
            return []
        return _with_warnings(state, SpendRecorded(command.key, command.spend_key, command.amount_fen,
                                                   state.spent_fen + command.amount_fen))
    raise TypeError(f"unknown command {command!r}")


def _with_warnings(state: Budget, event) -> list:
    after = evolve(state, event)
    passed = [t for t in WARN_AT
              if t not in after.warned and after.spent_fen > 0 and after.spent_fen >= after.allocated_fen * t]
    return [event, *(BudgetThresholdPassed(event.key, t, after.spent_fen, after.allocated_fen) for t in passed)]


def evolve(state: Budget, event) -> Budget:
    if isinstance(event, BudgetAllocated):
        return replace(state, allocated_fen=event.allocated_fen)
    if isinstance(event, SpendRecorded):
        return replace(state, spent_fen=event.spent_fen, spend_keys=state.spend_keys | {event.spend_key})
    if isinstance(event, BudgetThresholdPassed):
        return replace(state, warned=state.warned + (event.threshold,))
    return state


budget = Decider(category="subsidy-budget", initial=Budget, decide=decide, evolve=evolve)
