"""Planning the import of an area tree from a file's rows (CSV or JSON: code, name, tier, parent).

All or nothing: the plan is either the commands to run, parents first, or every problem found,
each naming its row and field — a bad code, a tier that does not fit the code, an unknown parent,
a duplicate, or a parent inside the area itself (a cycle: parents are the code's prefix one tier
up, so no other cycle can be written). Nothing is registered from a file with errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from shared.aggregate import Rejected
from services.registry.domain.areas import TIERS, RegisterArea, check_code

URBAN_WORDS = ("街道", "社区", "street", "community")


@dataclass(frozen=True)
class ImportProblem:
    row: int  # 1-based data row of the file
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportPlan:
    commands: list[RegisterArea]
    problems: list[ImportProblem]

    @property
    def ok(self) -> bool:
        return not self.problems


def plan_import(rows: Iterable[Mapping], known: Mapping[str, str], at: datetime) -> ImportPlan:
    """``known`` maps already-registered area codes to their tiers."""
    parsed, problems = {}, []
    for number, row in enumerate(rows, start=1):
        command, row_problems = _parse_row(number, row, at)
        problems += row_problems
        if command is None:
            continue
        if command.code in parsed:
            problems.append(ImportProblem(number, "code", f"{command.code} appears twice in the file"))
            continue
        parsed[command.code] = (number, command)
    problems += _unknown_parents(parsed, known)
    if problems:
        return ImportPlan([], sorted(problems, key=lambda p: (p.row, p.field)))
    ordered = sorted((c for _, c in parsed.values()), key=lambda c: (TIERS.index(c.tier), c.code))
    return ImportPlan(ordered, [])


def _parse_row(number: int, row: Mapping, at: datetime) -> tuple[RegisterArea | None, list[ImportProblem]]:
    code = str(row.get("code") or "").strip()
    name = str(row.get("name") or "").strip()
    tier = str(row.get("tier") or "").strip().lower()
    parent = str(row.get("parent") or row.get("parent_code") or "").strip() or None
    problems = []
    if not name:
        problems.append(ImportProblem(number, "name", "missing"))
    urban = is_urban(row.get("urban"), name, tier)
    command = RegisterArea(code, name, tier, parent, urban, at)
    if parent and code and parent.startswith(code):
        # Parents are prefixes one tier up, so this is the only way a file can describe a cycle.
        problems.append(ImportProblem(number, "parent", f"{parent} lies inside {code} (or is {code}): "
                                                        "that would make a cycle"))
        return None, problems
    try:
        check_code(code, tier, parent)
    except Rejected as error:
        problems.append(ImportProblem(number, "parent" if error.field == "parent_code" else error.field or "code",
                                      error.reason))
    return (None if problems else command), problems


def is_urban(value, name: str, tier: str) -> bool:
    """Explicit when the file says so; otherwise streets (街道) and communities (社区) are urban."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return value.strip().lower() in ("1", "true", "yes", "urban", "城镇", "y")
    if tier in ("city", "district"):
        return True
    return any(word in name for word in URBAN_WORDS)


def _unknown_parents(parsed: Mapping[str, tuple[int, RegisterArea]], known: Mapping[str, str]) -> list[ImportProblem]:
    problems = []
    for number, command in parsed.values():
        parent = command.parent_code
        if parent and parent not in parsed and parent not in known:
            problems.append(ImportProblem(number, "parent", f"unknown parent area {parent} (neither in the file "
                                                            "nor registered)"))
    return problems
