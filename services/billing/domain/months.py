"""Service months ("2026-11"): a claim belongs to the month its service was given in."""
from __future__ import annotations

from datetime import date


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def first_day(month: str) -> date:
    year, number = check_month(month)
    return date(year, number, 1)


def next_month(month: str) -> str:
    year, number = check_month(month)
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def check_month(month: str) -> tuple[int, int]:
    """(year, month number) of a "YYYY-MM" text; ValueError otherwise."""
    if not (isinstance(month, str) and len(month) == 7 and month[4] == "-" and month[:4].isdigit()
            and month[5:].isdigit() and month.isascii() and 1 <= int(month[5:]) <= 12):
        raise ValueError(f"not a month: {month!r}; write YYYY-MM")
    return int(month[:4]), int(month[5:])
