"""Subsidy policies (补贴政策) as versioned data, and which version is in force on a day.

A city or district sets a policy: whom it pays for, which services at what rate, a monthly cap
per elder, the elder's co-payment share and the budget line it spends. A change is a new version
with its own effective dates, never an edit, so a claim is always priced by the version in force
on the day of service (DOMAIN.md, "Subsidies").
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from shared.aggregate import Rejected

UNITS = ("meals", "minutes", "hours", "sessions", "days", "nights")
LEVELS = ("independent", "partly_disabled", "fully_disabled")  # 自理 半失能 失能, as the registry assesses
SEVERITIES = ("mild", "moderate", "severe")
# 低保, 特困供养, 低收入, 空巢, 独居; "low_income" is billing's own: some policies name it (低收入家庭).
HOUSEHOLD = ("minimum_living_allowance", "extreme_poverty", "low_income", "empty_nest", "living_alone")
# Home care is not given to an elder in hospital, so a long stay suspends the subsidy. 15 days is
# the brief's figure (the seed documents give none): a default a policy may override.
HOSPITAL_SUSPENSION_DAYS = 15


@dataclass(frozen=True)
class EligibleGroup:
    """One group of elders a policy pays for; an elder in any of a policy's groups is eligible.

    DOMAIN.md's purchased home care is two groups: 60+ partly or fully disabled, and everyone 80+.
    An empty tuple means "any".
    """

    min_age: int = 60
    max_age: int | None = None  # inclusive
    disability_levels: tuple = ()
    severities: tuple = ()
    household: tuple = ()  # the elder's household has one of these


@dataclass(frozen=True)
class ServiceRate:
    service: str
    unit: str  # what a delivery of this service counts (UNITS)
    rate_fen: int  # the price of one unit; subsidy and co-payment split it


@dataclass(frozen=True)
class SubsidyPolicy:
    policy_id: str
    version: int
    name: str
    set_by: str  # the city (4 digits) or district (6) that sets and pays it
    home_area_prefix: str  # only residents whose home area starts with it (本地户籍)
    eligible: tuple  # EligibleGroup, ...
    rates: tuple  # ServiceRate, ... sorted by service
    monthly_cap_fen: int | None  # subsidy per elder per month; None: no cap
    copay_share: Decimal  # the elder's share of the gross price, exact
    budget_line: str
    effective_from: date
    effective_to: date | None  # last day in force; None: until the next version takes effect
    hospital_suspension_days: int = HOSPITAL_SUSPENSION_DAYS

    @property
    def label(self) -> str:
        return f"{self.policy_id} v{self.version}"

    @property
    def services(self) -> tuple:
        return tuple(rate.service for rate in self.rates)

    def rate_for(self, service: str) -> ServiceRate | None:
        return next((rate for rate in self.rates if rate.service == service), None)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def policy_in_force(policies, service: str, area_code: str, on: date) -> SubsidyPolicy | None:
    """The version paying for ``service`` delivered in ``area_code`` on ``on``, from a checked set.

    A district's policy replaces its city's for the same service inside the district: the most
    local policy wins (the set check guarantees one per area, service and day).
    """
    candidates = [p for p in policies
                  if area_code.startswith(p.set_by) and p.in_force_on(on) and p.rate_for(service)]
    return max(candidates, key=lambda p: len(p.set_by), default=None)


def check_policy_set(policies, published=()) -> tuple:
    """``published`` plus ``policies``, with open-ended versions ended by their successors.

    Refuses (Rejected naming ``policies[i].field`` of the offending new policy) a version that
    appears twice, changes area, takes effect before an earlier version, overlaps another version
    of the same policy, or a second policy of the same area paying for the same service on a day.
    ``published`` was checked before and is trusted.
    """
    everything = (*published, *policies)
    for j, policy in enumerate(policies):
        for earlier in everything[:len(published) + j]:
            problem = _versions_clash(earlier, policy) if earlier.policy_id == policy.policy_id else None
            if problem:
                raise Rejected(problem[1], field=f"policies[{j}].{problem[0]}")
    resolved = _end_open_versions(everything)
    for j, policy in enumerate(resolved[len(published):]):
        for other in resolved[:len(published) + j]:
            problem = _policies_clash(other, policy) if other.policy_id != policy.policy_id else None
            if problem:
                raise Rejected(problem, field=f"policies[{j}].rates")
    return resolved


def _versions_clash(earlier: SubsidyPolicy, policy: SubsidyPolicy) -> tuple[str, str] | None:
    name = policy.policy_id
    if earlier.version == policy.version:
        return "version", f"{name} version {policy.version} appears twice: publish a new version instead"
    if earlier.set_by != policy.set_by:
        return "set_by", (f"{name} version {policy.version} is set by {policy.set_by} but version "
                          f"{earlier.version} by {earlier.set_by}: a policy belongs to one area")
    first, then = sorted((earlier, policy), key=lambda p: p.version)
    if then.effective_from <= first.effective_from:
        return "effective_from", (f"{name} version {then.version} takes effect on {then.effective_from}, "
                                  f"not after version {first.version} ({first.effective_from})")
    if first.effective_to is not None and first.effective_to >= then.effective_from:
        return "effective_from", (f"{name} versions {first.version} and {then.version} are both in force "
                                  f"from {then.effective_from} to {first.effective_to}")
    return None


def _end_open_versions(policies) -> tuple:
    """Each open-ended version ends the day before the next version of its policy takes effect."""
    def end(policy: SubsidyPolicy) -> SubsidyPolicy:
        later = [p.effective_from for p in policies
                 if p.policy_id == policy.policy_id and p.version > policy.version]
        if policy.effective_to is not None or not later:
            return policy
        return replace(policy, effective_to=min(later) - timedelta(days=1))
    return tuple(end(policy) for policy in policies)


def _policies_clash(other: SubsidyPolicy, policy: SubsidyPolicy) -> str | None:
    shared_services = sorted(set(other.services) & set(policy.services))
    if other.set_by != policy.set_by or not shared_services:
        return None
    start = max(other.effective_from, policy.effective_from)
    ends = [d for d in (other.effective_to, policy.effective_to) if d is not None]
    end = min(ends, default=None)
    if end is not None and end < start:
        return None
    until = f"to {end}" if end else "on"
    return (f"{policy.label} and {other.label}, both set by {policy.set_by}, pay for {', '.join(shared_services)} "
            f"from {start} {until}: a service has one policy per area at a time")
