"""Example policies, elders and deliveries shared by the billing tests (Fushun: city 2104, Xinfu 210402)."""
import copy
from dataclasses import replace
from datetime import date, datetime, timezone

from services.billing.domain.policy_file import parse_policies
from services.billing.domain.pricing import Delivery, ElderProfile

AT = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
CITY, DISTRICT, TOWN, VILLAGE = "2104", "210402", "210402003", "210402003001"

# DOMAIN.md's government-purchased home care: 60+ disabled or partly disabled, and all 80+.
HOME_CARE = {
    "id": "fushun-home-care", "version": 1, "name": "政府购买居家养老服务", "set_by": CITY,
    "eligible": [{"min_age": 60, "disability_levels": ["partly_disabled", "fully_disabled"]}, {"min_age": 80}],
    "services": {"meals": {"unit": "meals", "rate_fen": 1000}, "cleaning": {"unit": "hours", "rate_fen": 3000}},
    "monthly_cap_fen": 40000, "copay_share": "10%", "budget_line": "home-care-purchase",
    "effective_from": "2026-01-01",
}


def meals_at(rate_fen: int) -> dict:
    """A policy's ``services`` paying for meals only, at ``rate_fen`` a meal."""
    return {"meals": {"unit": "meals", "rate_fen": rate_fen}}


def policy(**changes) -> dict:
    item = copy.deepcopy(HOME_CARE)
    item.update(changes)
    return item


def policies(*items) -> tuple:
    return parse_policies({"policies": list(items) or [policy()]})


def elder(**changes) -> ElderProfile:
    base = ElderProfile("el1", date(1950, 3, 1), VILLAGE, "partly_disabled", "moderate", ("empty_nest",))
    return replace(base, **changes)


def delivery(**changes) -> Delivery:
    base = Delivery("b1", "el1", "f1", VILLAGE, "meals", date(2026, 11, 20), 3, "meals", AT)
    return replace(base, **changes)
