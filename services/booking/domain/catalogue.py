"""The services an elder can book (DOMAIN.md, "Services (bookings)") and what each one consumes.

The six aids 六助 — meals 助餐, medical 助医, cleaning 助洁, bathing 助浴, recreation 助乐, mobility 助行 —
emergency aid 助急, day care 日托, full-time care 全托, respite care 喘息服务, rehabilitation nursing 康复护理,
home visits 探访, home-risk assessment 居家环境风险评估, housekeeping 家政预约, health consultation 健康咨询,
shopping on the elder's behalf 物品代购, a trial stay 试住 and admission to an institutional bed 入住.

Each service has a kind of capacity, and a booking says *when* in the terms of that kind (:class:`When`):

- ``slot``: a session at a start time (bathing at 10:00), ``start`` and ``minutes``;
- ``daily_place``: a place for a day (day care, a canteen meal), ``day`` only;
- ``bed_period``: a bed over the nights ``[day, until)``;
- ``carer_time``: carers' minutes on a day at the elder's home, ``minutes`` and optionally ``start``.

Service dates and times are local wall-clock time (Beijing time); the ``at`` of a command is an
aware instant, turned into local time before it is compared with them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from shared.aggregate import Rejected

# A fixed offset rather than zoneinfo("Asia/Shanghai"): China has one zone without daylight saving
# since 1991, and a fixed offset needs no tz database on a village node.
LOCAL = timezone(timedelta(hours=8), "CST")

# The registry's facilities.SERVICES, copied rather than imported (services do not import each other:
# the import-linter contract), plus home_risk_assessment, which the registry does not list yet.
SERVICES = ("meals", "medical", "cleaning", "bathing", "recreation", "mobility", "emergency", "day_care",
            "full_time_care", "respite_care", "rehabilitation", "home_visits", "home_risk_assessment",
            "housekeeping", "health_consultation", "shopping", "trial_stay", "admission")
CAPACITY_KINDS = ("slot", "daily_place", "bed_period", "carer_time")
KIND = {
    "meals": "daily_place", "day_care": "daily_place",
    "medical": "slot", "bathing": "slot", "recreation": "slot", "rehabilitation": "slot",
    "health_consultation": "slot",
    "full_time_care": "bed_period", "respite_care": "bed_period", "trial_stay": "bed_period",
    "admission": "bed_period",
    "cleaning": "carer_time", "mobility": "carer_time", "emergency": "carer_time", "home_visits": "carer_time",
    "home_risk_assessment": "carer_time", "housekeeping": "carer_time", "shopping": "carer_time",
}
# Services that draw on one stock of capacity: a facility's beds serve full-time, respite, trial stays
# and admissions alike, and its home-service carers do the cleaning as well as the shopping. Emergency
# aid keeps its own responders, so that booked housekeeping can never leave nobody on call.
SHARED_POOLS = {"bed_period": "beds", "carer_time": "carers"}
OWN_POOL = ("emergency",)
# What a delivery counts, in billing's words (its policies price "meals", "sessions", "nights" …).
UNIT = {"slot": "sessions", "bed_period": "nights", "carer_time": "minutes"}
DAILY_UNIT = {"meals": "meals", "day_care": "days"}
MAX_NIGHTS = 366  # a longer stay is renewed as a new booking, so that no booking holds a bed for ever

# kind: (what a booking of that kind must say, what it may say) besides its day
_WHEN_FIELDS = {
    "slot": ({"start", "minutes"}, set()),
    "daily_place": (set(), set()),
    "bed_period": ({"until"}, set()),
    "carer_time": ({"minutes"}, {"start"}),
}


@dataclass(frozen=True)
class When:
    """When a booking is: ``day`` (a bed's first night), and what its kind of capacity adds."""

    day: date
    until: date | None = None   # bed_period: the day the elder leaves; the last night is the day before
    start: time | None = None   # slot, and carer_time when the visit has a time
    minutes: int = 0            # slot: its length; carer_time: carers' minutes that day


def check_service(service: str) -> str:
    if service not in KIND:
        raise Rejected(f"one of {', '.join(SERVICES)}", field="service")
    return KIND[service]


def pool_of(service: str) -> str:
    """The capacity a booking of ``service`` draws on, at any facility."""
    kind = check_service(service)
    return service if service in OWN_POOL else SHARED_POOLS.get(kind, service)


def kind_of_pool(pool: str) -> str:
    kinds = {KIND[service] for service in SERVICES if pool_of(service) == pool}
    if not kinds:
        raise Rejected(f"one of {', '.join(sorted({pool_of(s) for s in SERVICES}))}", field="pool")
    return kinds.pop()


def unit_of(service: str) -> str:
    """What a delivery of ``service`` counts: meals, days, sessions, nights or minutes."""
    return DAILY_UNIT.get(service) or UNIT[check_service(service)]


def check_when(service: str, when: When) -> None:
    """Rejected, naming the field, unless ``when`` says what the service's kind of capacity needs."""
    required, optional = _WHEN_FIELDS[check_service(service)]
    for name in ("until", "start", "minutes"):
        given = getattr(when, name) not in (None, 0)
        if name in required and not given:
            raise Rejected(f"a {service} booking needs its {name}", field=name)
        if given and name not in required | optional:
            raise Rejected(f"a {service} booking has no {name}", field=name)
    if when.until is not None and not 0 < (when.until - when.day).days <= MAX_NIGHTS:
        raise Rejected(f"a stay ends 1 to {MAX_NIGHTS} days after its first night", field="until")
    if not is_count(when.minutes) or when.minutes < 0:
        raise Rejected("a whole number of minutes", field="minutes")
    if (minute_of_day(when.start) if when.start is not None else 0) + when.minutes > 24 * 60:
        raise Rejected("within the day: it ends by midnight", field="minutes")


def nights(when: When) -> tuple[date, ...]:
    """The nights of a stay, each named by the day it begins."""
    return tuple(when.day + timedelta(days=n) for n in range((when.until - when.day).days))


def booked_units(service: str, when: When) -> int:
    """How many units (``unit_of(service)``) a booking holds: the most a delivery can count."""
    kind = check_service(service)
    if kind == "bed_period":
        return len(nights(when))
    return when.minutes if kind == "carer_time" else 1


def last_day(when: When) -> date:
    return when.until - timedelta(days=1) if when.until is not None else when.day


def local_now(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise Rejected("must be an aware time (UTC)", field="at")
    return at.astimezone(LOCAL)


def has_begun(when: When, at: datetime) -> bool:
    """Whether the booked time has come: its start time, or its day when it has none."""
    now = local_now(at)
    if when.start is None:
        return now.date() >= when.day
    return now >= datetime.combine(when.day, when.start, LOCAL)


def is_past(when: When, at: datetime) -> bool:
    """Too late to book: a booking may still be made on its day, until its start time when it has one."""
    now = local_now(at)
    if when.start is None:
        return when.day < now.date()
    return datetime.combine(when.day, when.start, LOCAL) < now


def check_not_past(when: When, at: datetime) -> None:
    if is_past(when, at):  # the start time is at fault only when the day is today
        field = "day" if when.day < local_now(at).date() else "start"
        raise Rejected(f"{moment(when)} is in the past", field=field)


def moment(when: When) -> str:
    """When a booking begins, as a person reads it: 2026-11-24, or 2026-11-24 10:00."""
    return f"{when.day}" if when.start is None else f"{when.day} {when.start:%H:%M}"


def check_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise Rejected("say why", field="reason")
    return reason.strip()


def excludes(service: str, when: When, other_service: str, other: When) -> bool:
    """Whether one elder cannot hold both bookings: one bed a night; one place in body at a time
    (timed bookings whose times overlap); one day-care place and one canteen meal a day."""
    kind, other_kind = KIND[service], KIND[other_service]
    if kind == other_kind == "bed_period":
        return when.day < other.until and other.day < when.until
    if kind == other_kind == "daily_place" and service == other_service:
        return when.day == other.day
    if when.start is None or other.start is None or when.day != other.day:
        return False
    begins, other_begins = minute_of_day(when.start), minute_of_day(other.start)
    return begins < other_begins + other.minutes and other_begins < begins + when.minutes


def is_count(value) -> bool:
    """A whole number; True and 1.0 are not (a JSON body or a careless caller may send them)."""
    return isinstance(value, int) and not isinstance(value, bool)


def minute_of_day(at: time) -> int:
    return at.hour * 60 + at.minute
