"""Pricing a delivered service into a claim line, or into the reason it is not eligible.

The version of the policy in force on the day of service prices it, whatever day the delivery
reaches billing. Gross price = units × rate; the elder's co-payment is the policy's share of it
(the one rounding, money.part) and the subsidy the rest, so subsidy + co-payment = gross always.
A monthly cap limits the subsidy per elder and policy: past it, the elder pays the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from services.billing.domain import money
from services.billing.domain.policies import EligibleGroup, SubsidyPolicy, policy_in_force

# Why a delivery is not paid, in the order they are checked.
REASONS = ("no_policy", "unknown_elder", "unit", "home_area", "age", "disability", "household", "in_hospital",
           "cap_reached")


@dataclass(frozen=True)
class Delivery:
    """A delivered booking as billing receives it (from the booking service's event)."""

    booking_id: str
    elder_id: str
    facility_id: str
    area_code: str  # where the service was given; the node (and policies) of that area
    service: str
    service_date: date
    units: int
    unit: str  # meals, minutes, hours, sessions, days, nights
    delivered_at: datetime


@dataclass(frozen=True)
class HospitalStay:
    admitted_on: date
    discharged_on: date | None  # None: still in hospital

    def days(self) -> int | None:
        return None if self.discharged_on is None else (self.discharged_on - self.admitted_on).days + 1

    def covers(self, day: date) -> bool:
        return self.admitted_on <= day and (self.discharged_on is None or day <= self.discharged_on)


@dataclass(frozen=True)
class ElderProfile:
    """What pricing needs to know of an elder, from the registry's events (老年人电子档案)."""

    elder_id: str
    birth_date: date
    home_area_code: str
    disability_level: str  # independent, partly_disabled, fully_disabled
    disability_severity: str | None  # mild, moderate, severe; None when independent
    household: tuple = ()  # minimum_living_allowance, extreme_poverty, low_income, ...
    hospital_stays: tuple = ()  # HospitalStay, ...

    def age_on(self, day: date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class ClaimLine:
    """A priced delivery: what the government pays (subsidy) and what the elder pays (co-payment).

    A reversal is the same line with every amount negated, so a cancelled delivery nets to zero.
    """

    booking_id: str
    elder_id: str
    facility_id: str
    area_code: str
    service: str
    service_date: date
    units: int
    gross_fen: int
    subsidy_fen: int
    copay_fen: int
    policy_id: str
    policy_version: int
    set_by: str  # whose budget pays
    budget_line: str
    capped: bool = False  # the monthly cap cut the subsidy

    def reversed(self) -> ClaimLine:
        return replace(self, units=-self.units, gross_fen=-self.gross_fen, subsidy_fen=-self.subsidy_fen,
                       copay_fen=-self.copay_fen)


@dataclass(frozen=True)
class NotEligible:
    reason: str  # one of REASONS
    detail: str
    policy_id: str | None = None
    policy_version: int | None = None


def price(delivery: Delivery, elder: ElderProfile, policies,
          claimed_this_month_fen: int = 0) -> ClaimLine | NotEligible:
    """Price ``delivery``; ``claimed_this_month_fen`` is the subsidy already counted against the cap
    for this elder, this policy and the delivery's service month (net of reversals and rejections)."""
    policy = policy_in_force(policies, delivery.service, delivery.area_code, delivery.service_date)
    if policy is None:
        return NotEligible("no_policy", f"no policy pays for {delivery.service} in {delivery.area_code} "
                                        f"on {delivery.service_date}")
    refusal = _refusal(delivery, elder, policy)
    if refusal:
        return NotEligible(refusal[0], refusal[1], policy.policy_id, policy.version)
    gross = delivery.units * policy.rate_for(delivery.service).rate_fen
    subsidy = gross - money.part(gross, policy.copay_share)
    room = None if policy.monthly_cap_fen is None else max(policy.monthly_cap_fen - claimed_this_month_fen, 0)
    if room == 0 and subsidy > 0:
        return NotEligible("cap_reached", f"the monthly cap of {money.yuan_text(policy.monthly_cap_fen)} yuan "
                                          f"is reached", policy.policy_id, policy.version)
    capped = room is not None and subsidy > room
    subsidy = min(subsidy, room) if capped else subsidy
    return ClaimLine(delivery.booking_id, delivery.elder_id, delivery.facility_id, delivery.area_code,
                     delivery.service, delivery.service_date, delivery.units, gross, subsidy, gross - subsidy,
                     policy.policy_id, policy.version, policy.set_by, policy.budget_line, capped)


def _refusal(delivery: Delivery, elder: ElderProfile, policy: SubsidyPolicy) -> tuple[str, str] | None:
    rate = policy.rate_for(delivery.service)
    if rate.unit != delivery.unit:
        return "unit", f"{policy.label} pays {delivery.service} per {rate.unit}, not per {delivery.unit}"
    if not elder.home_area_code.startswith(policy.home_area_prefix):
        return "home_area", f"{policy.label} pays for residents of {policy.home_area_prefix} only"
    group_refusals = [_group_refusal(group, elder, delivery.service_date) for group in policy.eligible]
    if None not in group_refusals:
        # The group the elder comes closest to says why: a 70-year-old who lives independently is
        # refused for disability (old enough for the disabled group), not for age.
        return max(group_refusals, key=lambda refusal: REASONS.index(refusal[0]))
    stay = _long_stay(elder, delivery.service_date, policy.hospital_suspension_days)
    if stay:
        return "in_hospital", f"in hospital from {stay.admitted_on} on {delivery.service_date}"
    return None


def _group_refusal(group: EligibleGroup, elder: ElderProfile, day: date) -> tuple[str, str] | None:
    age = elder.age_on(day)
    if age < group.min_age or (group.max_age is not None and age > group.max_age):
        band = f"{group.min_age}+" if group.max_age is None else f"{group.min_age}–{group.max_age}"
        return "age", f"aged {age}, the policy pays for {band}"
    if group.disability_levels and elder.disability_level not in group.disability_levels:
        return "disability", f"{elder.disability_level}, the policy pays for {', '.join(group.disability_levels)}"
    if group.severities and elder.disability_severity not in group.severities:
        return "disability", f"severity {elder.disability_severity}, the policy pays for {', '.join(group.severities)}"
    if group.household and not set(group.household) & set(elder.household):
        return "household", f"household {', '.join(elder.household) or 'none'}, the policy pays for " \
                            f"{', '.join(group.household)}"
    return None


def _long_stay(elder: ElderProfile, day: date, suspension_days: int) -> HospitalStay | None:
    # A stay still open counts as long: a delivery to an elder who is in hospital is suspect anyway.
    return next((stay for stay in elder.hospital_stays
                 if stay.covers(day) and (stay.days() is None or stay.days() >= suspension_days)), None)


def unknown_elder(delivery: Delivery) -> NotEligible:
    """Eligibility depends on the elder's record (age, disability, household, home area); without
    it nothing is paid, and the reason says so rather than guessing."""
    return NotEligible("unknown_elder", f"no record of elder {delivery.elder_id} at the node that prices "
                                        f"deliveries in {delivery.area_code}")
