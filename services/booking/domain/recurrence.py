"""Recurring bookings: meals every weekday, bathing every Tuesday at 10:00, respite every weekend.

A series expands into its occurrences, each an ordinary booking with its own id. The ids are derived
from the series id and the day, so expanding the same series twice (a retried request) asks for the
same bookings, and a booking already requested is refused rather than made twice.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta

from shared.aggregate import Rejected
from services.booking.domain.catalogue import When, check_when

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # in date.weekday() order
WORKDAYS = WEEKDAYS[:5]
# A year of daily meals; a longer series is renewed, so that one request never makes thousands of bookings.
MAX_OCCURRENCES = 366
_SERIES = uuid.UUID("5b0c7c2e-6f6e-4d2c-9a57-0c1d2f3e4a5b")  # namespace of occurrence ids


@dataclass(frozen=True)
class Series:
    series_id: str
    service: str
    first: When               # the first day the series may fall on, and the time of every occurrence
    weekdays: tuple[str, ...]
    last_day: date            # the last day an occurrence may fall on


@dataclass(frozen=True)
class Occurrence:
    booking_id: str
    when: When


def occurrence_id(series_id: str, day: date) -> str:
    return str(uuid.uuid5(_SERIES, f"{series_id}/{day.isoformat()}"))


def occurrences(series: Series, limit: int = MAX_OCCURRENCES) -> tuple[Occurrence, ...]:
    """The series' bookings in day order; Rejected, naming the field, when it is empty or too long."""
    check_when(series.service, series.first)
    days = _days(series, limit)
    stay = series.first.until - series.first.day if series.first.until is not None else None
    whens = [replace(series.first, day=day, until=None if stay is None else day + stay) for day in days]
    for one, then in zip(whens, whens[1:]):
        if one.until is not None and one.until > then.day:
            raise Rejected(f"a stay to {one.until} overlaps the next, from {then.day}", field="until")
    return tuple(Occurrence(occurrence_id(series.series_id, w.day), w) for w in whens)


def _days(series: Series, limit: int) -> list[date]:
    unknown = sorted(set(series.weekdays) - set(WEEKDAYS))
    if unknown or not series.weekdays:
        raise Rejected(f"some of {', '.join(WEEKDAYS)}", field="weekdays")
    if series.last_day < series.first.day:
        raise Rejected(f"on or after the first day, {series.first.day}", field="last_day")
    wanted = {WEEKDAYS.index(name) for name in series.weekdays}
    days = []
    for offset in range((series.last_day - series.first.day).days + 1):
        day = series.first.day + timedelta(days=offset)
        if day.weekday() in wanted:
            days.append(day)
        if len(days) > limit:  # a last_day centuries away costs no more than a year's series
            break
    if len(days) > limit:
        raise Rejected(f"more than {limit} occurrences: end the series sooner and renew it", field="last_day")
    if not days:
        raise Rejected(f"none falls between {series.first.day} and {series.last_day}", field="weekdays")
    return days
