"""Policies from a file already loaded (YAML or JSON) into dicts and lists; pure, no I/O.

Every refusal names the path of the value at fault, e.g. ``policies[2].services.meals.rate_fen:
must be a positive integer``, so a finance office can fix its file. The shape::

    policies:
      - id: fushun-home-care
        version: 1
        name: 政府购买居家养老服务
        set_by: "2104"
        home_area_prefix: "2104"        # optional, defaults to set_by
        eligible:
          - {min_age: 60, disability_levels: [partly_disabled, fully_disabled]}
          - {min_age: 80}
        services:
          meals: {unit: meals, rate_fen: 1000}
          cleaning: {unit: hours, rate_fen: 3000}
        monthly_cap_fen: 40000           # optional
        copay_share: 10%                 # 0.1 and "0.1" work too
        budget_line: home-care-purchase
        effective_from: 2023-01-01
        effective_to: 2023-12-31         # optional
        hospital_suspension_days: 15     # optional
"""
from __future__ import annotations

import re
from datetime import date, datetime

from shared.aggregate import Rejected
from services.billing.domain import money
from services.billing.domain.policies import (
    HOSPITAL_SUSPENSION_DAYS, HOUSEHOLD, LEVELS, SEVERITIES, UNITS, EligibleGroup, ServiceRate, SubsidyPolicy,
    check_policy_set)

NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


def parse_policies(data) -> tuple:
    """The checked policy set in ``data`` ({"policies": [...]} or the list itself)."""
    items = data.get("policies") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise Rejected("a list of policies", field="policies")
    return check_policy_set(tuple(parse_policy(item, f"policies[{i}]") for i, item in enumerate(items)))


def parse_policy(item, path: str) -> SubsidyPolicy:
    _mapping(item, path)
    set_by = _area(item.get("set_by"), f"{path}.set_by", lengths=(4, 6))
    home = _area(item.get("home_area_prefix", set_by), f"{path}.home_area_prefix", lengths=(4, 6, 9, 12))
    if not home.startswith(set_by):
        raise Rejected(f"must lie inside {set_by}: an area pays for its own residents",
                       field=f"{path}.home_area_prefix")
    starts = _date(item.get("effective_from"), f"{path}.effective_from")
    ends = None if item.get("effective_to") is None else _date(item["effective_to"], f"{path}.effective_to")
    if ends is not None and ends < starts:
        raise Rejected(f"must not be before effective_from ({starts})", field=f"{path}.effective_to")
    cap = item.get("monthly_cap_fen")
    return SubsidyPolicy(
        policy_id=_name(item.get("id"), f"{path}.id"),
        version=_count(item.get("version"), f"{path}.version"),
        name=_text(item.get("name"), f"{path}.name"),
        set_by=set_by, home_area_prefix=home,
        eligible=_groups(item.get("eligible"), f"{path}.eligible"),
        rates=_rates(item.get("services"), f"{path}.services"),
        monthly_cap_fen=None if cap is None else _count(cap, f"{path}.monthly_cap_fen"),
        copay_share=_share(item.get("copay_share", 0), f"{path}.copay_share"),
        budget_line=_name(item.get("budget_line"), f"{path}.budget_line"),
        effective_from=starts, effective_to=ends,
        hospital_suspension_days=_count(item.get("hospital_suspension_days", HOSPITAL_SUSPENSION_DAYS),
                                        f"{path}.hospital_suspension_days"))


def _groups(value, path: str) -> tuple:
    if not isinstance(value, list) or not value:
        raise Rejected("a non-empty list of eligible groups (e.g. [{min_age: 80}])", field=path)
    return tuple(_group(item, f"{path}[{i}]") for i, item in enumerate(value))


def _group(item, path: str) -> EligibleGroup:
    _mapping(item, path)
    min_age = _count(item.get("min_age", 60), f"{path}.min_age", minimum=0)
    max_age = item.get("max_age")
    if max_age is not None and _count(max_age, f"{path}.max_age", minimum=0) < min_age:
        raise Rejected(f"must not be below min_age ({min_age})", field=f"{path}.max_age")
    return EligibleGroup(min_age, max_age,
                         _choices(item.get("disability_levels", []), LEVELS, f"{path}.disability_levels"),
                         _choices(item.get("severities", []), SEVERITIES, f"{path}.severities"),
                         _choices(item.get("household", []), HOUSEHOLD, f"{path}.household"))


def _rates(value, path: str) -> tuple:
    if not isinstance(value, dict) or not value:
        raise Rejected("a mapping of services to {unit, rate_fen}, e.g. {meals: {unit: meals, rate_fen: 1000}}",
                       field=path)
    rates = []
    for service, rate in sorted(value.items(), key=lambda kv: str(kv[0])):
        where = f"{path}.{service}"
        _name(service, where)
        _mapping(rate, where)
        unit = rate.get("unit")
        if unit not in UNITS:
            raise Rejected(f"must be one of {', '.join(UNITS)}", field=f"{where}.unit")
        rates.append(ServiceRate(service, unit, _count(rate.get("rate_fen"), f"{where}.rate_fen")))
    return tuple(rates)


def _mapping(value, path: str) -> None:
    if not isinstance(value, dict):
        raise Rejected("must be a mapping of fields", field=path)


def _count(value, path: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise Rejected("must be a positive integer" if minimum == 1 else f"must be an integer ≥ {minimum}", field=path)
    return value


def _text(value, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Rejected("must be non-empty text", field=path)
    return value.strip()


def _name(value, path: str) -> str:
    if not isinstance(value, str) or not NAME.match(value):
        raise Rejected("must be a lower-case name of letters, digits, '-', '_' or '.'", field=path)
    return value


def _area(value, path: str, lengths: tuple) -> str:
    # YAML reads an unquoted 2104 as an int; no area code starts with 0 (provinces are 11–82), so
    # its digits are the code.
    code = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) not in lengths:
        raise Rejected(f"must be an area code of {' or '.join(map(str, lengths))} digits", field=path)
    return code


def _date(value, path: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Rejected("must be a date, YYYY-MM-DD", field=path) from None


def _choices(value, allowed: tuple, path: str) -> tuple:
    if not isinstance(value, list) or any(v not in allowed for v in value):
        raise Rejected(f"must be a list of {', '.join(allowed)}", field=path)
    return tuple(sorted(set(value)))


def _share(value, path: str):
    try:
        return money.share(value)
    except ValueError as error:
        raise Rejected(str(error), field=path) from None
