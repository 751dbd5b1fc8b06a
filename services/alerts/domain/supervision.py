"""Supervision rules (互联网+监管): the anomalies the upper tiers watch for.

Each rule is a pure function over facts the service gathers from other services' events (the
registry's admissions and assessments, booking's deliveries, billing's subsidy claims) and the
thresholds of the facts' area (thresholds.py); it returns findings. A finding is an event whose id
is derived from the rule, its subject and its period, so a rule re-run over the same facts — the
next day, or on another node — finds the same finding, stored once, and raises the same alert.

Rules run on the day of ``at`` in China Standard Time (one zone, UTC+8, no daylight saving), the
day the people who act on a finding live in.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from statistics import median
from typing import Mapping, Sequence

from services.alerts.domain.alerts import RaiseAlert
from services.alerts.domain.escalation import DEFAULT_LIMITS, ack_within
from services.alerts.domain.ids import derived_id
from services.alerts.domain.thresholds import Thresholds

CHINA = timezone(timedelta(hours=8))
SEVERITY = {"occupancy_far_from_normal": "medium", "over_capacity": "high", "booking_not_delivered": "medium",
            "claims_out_of_pattern": "low", "claim_while_away": "medium", "assessment_expired": "low"}


@dataclass(frozen=True)
class AnomalyFound:
    finding_id: str  # derived from rule, subject and period
    rule: str
    subject: str  # e.g. "facility:f1", "booking:b7", "claim:c9"
    period: str  # what the finding is for: a day, a month, a validity end
    area_code: str
    elder_id: str | None
    facility_id: str | None  # a facility, or the provider a claim or booking is with
    severity: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class Occupancy:
    facility_id: str
    area_code: str
    period: str
    residents: int
    beds: int
    normal_percent: int | Fraction  # the facility's usual occupancy, e.g. its mean over the past year


@dataclass(frozen=True)
class Booking:
    booking_id: str
    elder_id: str
    provider_id: str
    area_code: str
    service_date: date
    status: str  # booking's status: only "confirmed" ones are still to be delivered


@dataclass(frozen=True)
class ClaimCount:
    provider_id: str
    area_code: str
    period: str
    claims: int


@dataclass(frozen=True)
class SubsidyClaim:
    claim_id: str
    elder_id: str
    provider_id: str
    area_code: str
    service_date: date


@dataclass(frozen=True)
class Absence:
    elder_id: str
    away_from: date
    back_on: date | None  # None while still away


@dataclass(frozen=True)
class Assessment:
    elder_id: str
    area_code: str
    valid_until: date


def _found(rule: str, subject: str, period: str, area_code: str, detail: str, at: datetime,
           elder_id: str | None = None, facility_id: str | None = None) -> list[AnomalyFound]:
    return [AnomalyFound(derived_id("finding", rule, subject, period), rule, subject, period, area_code,
                         elder_id, facility_id, SEVERITY[rule], detail, at)]


def occupancy_far_from_normal(fact: Occupancy, limits: Thresholds, at: datetime) -> list[AnomalyFound]:
    if fact.beds <= 0:
        return []
    percent = Fraction(fact.residents * 100, fact.beds)
    if abs(percent - Fraction(fact.normal_percent)) < limits.occupancy_deviation_points:
        return []
    return _found("occupancy_far_from_normal", f"facility:{fact.facility_id}", fact.period, fact.area_code,
                  f"occupancy {float(percent):.0f}% against a normal {float(fact.normal_percent):.0f}%", at,
                  facility_id=fact.facility_id)


def over_capacity(fact: Occupancy, limits: Thresholds, at: datetime) -> list[AnomalyFound]:
    if fact.residents <= fact.beds + limits.over_capacity_margin:
        return []
    return _found("over_capacity", f"facility:{fact.facility_id}", fact.period, fact.area_code,
                  f"{fact.residents} residents in {fact.beds} beds", at, facility_id=fact.facility_id)


def booking_not_delivered(fact: Booking, limits: Thresholds, at: datetime) -> list[AnomalyFound]:
    late = (_today(at) - fact.service_date).days
    if fact.status != "confirmed" or late <= limits.undelivered_grace_days:
        return []
    return _found("booking_not_delivered", f"booking:{fact.booking_id}", fact.service_date.isoformat(),
                  fact.area_code, f"confirmed for {fact.service_date.isoformat()}, not delivered {late} days on",
                  at, elder_id=fact.elder_id, facility_id=fact.provider_id)


def claims_out_of_pattern(counts: Sequence[ClaimCount], limits: Thresholds, at: datetime) -> list[AnomalyFound]:
    """Each provider against the median of the others' claims (one area and period: the caller's group)."""
    found = []
    for count in counts:
        peers = [Fraction(other.claims) for other in counts if other.provider_id != count.provider_id]
        if len(peers) < limits.claims_min_peers or count.claims < limits.claims_floor:
            continue
        usual = median(peers)
        if count.claims > limits.claims_peer_factor * usual:
            found += _found("claims_out_of_pattern", f"provider:{count.provider_id}", count.period, count.area_code,
                            f"{count.claims} claims against a median of {float(usual):g} among {len(peers)} peers",
                            at, facility_id=count.provider_id)
    return found


def claim_while_away(claim: SubsidyClaim, absences: Sequence[Absence], limits: Thresholds,
                     at: datetime) -> list[AnomalyFound]:
    """A claim for a day the elder was away, in an absence of ``away_days`` or more so far."""
    for absence in absences:
        back_on = absence.back_on or _today(at)
        away = (back_on - absence.away_from).days
        during = absence.away_from <= claim.service_date and (absence.back_on is None or claim.service_date < back_on)
        if absence.elder_id == claim.elder_id and during and away >= limits.away_days:
            return _found("claim_while_away", f"claim:{claim.claim_id}", claim.service_date.isoformat(),
                          claim.area_code, f"claimed for {claim.service_date.isoformat()}; elder away from "
                          f"{absence.away_from.isoformat()}, {away} days", at,
                          elder_id=claim.elder_id, facility_id=claim.provider_id)
    return []


def assessment_expired(fact: Assessment, limits: Thresholds, at: datetime) -> list[AnomalyFound]:
    if (_today(at) - fact.valid_until).days <= limits.assessment_grace_days:
        return []
    return _found("assessment_expired", f"elder:{fact.elder_id}", fact.valid_until.isoformat(), fact.area_code,
                  f"disability assessment valid until {fact.valid_until.isoformat()}", at, elder_id=fact.elder_id)


def _today(at: datetime) -> date:
    return at.astimezone(CHINA).date()


def raise_for(finding: AnomalyFound, home_tier: str, at: datetime,
              limits: Mapping[str, timedelta] = DEFAULT_LIMITS) -> RaiseAlert:
    """The alert a finding raises at the node that found it: one finding, one alert (the same id)."""
    return RaiseAlert(finding.finding_id, finding.rule, finding.severity, "supervision", finding.finding_id,
                      finding.elder_id, finding.facility_id, finding.area_code, home_tier,
                      ack_within(finding.severity, limits), at)
