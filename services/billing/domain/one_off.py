"""One-off subsidies from the seed documents: home care beds and home adaptation, community canteens.

Figures and where they come from (seeds/, summarised in DOMAIN.md):
- Home care bed and home adaptation (家庭养老床位 / 适老化改造), Fushun, seed 000 §四.二: "按每张床位平均
  3600 元的标准" for local residents (本市户籍) of 低保 / 特困供养 households with moderate or severe
  disability (中度和重度失能); the first 220 beds cost 79.2 万元 (792 000 yuan = 220 × 3 600).
- Home adaptation pilot, Enyang, seed 002: 28 万元 for 280-odd homes (改造280余户), at most 1 000 yuan a home.
- Community canteens (社区老年食堂), Fushun, seed 000 §一: a construction subsidy by floor area and an
  early operating subsidy by the number of people served (按照建设面积和服务人数), 300-odd 万元 planned
  for 10 canteens in 2023. The seeds give no rate per m² or per person: they are a CanteenScheme's
  data, set by the city, not constants here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.aggregate import Rejected
from services.billing.domain import money
from services.billing.domain.pricing import ElderProfile, NotEligible

HOME_CARE_BED_FEN = money.fen(3600)  # per bed, on average
HOME_CARE_BED_HOUSEHOLDS = ("minimum_living_allowance", "extreme_poverty")
HOME_CARE_BED_SEVERITIES = ("moderate", "severe")
FUSHUN_FIRST_HOME_CARE_BEDS = (220, money.fen(792_000))  # beds, cost
ENYANG_ADAPTATION_PILOT = (280, money.fen(280_000))  # homes, planned investment
FUSHUN_CANTEENS_2023 = (10, money.fen(3_000_000))  # canteens, subsidy funds planned
ELDER_AGE = 60


@dataclass(frozen=True)
class Grant:
    scheme: str  # home_care_bed, canteen_construction, canteen_operating
    amount_fen: int
    basis: str  # how the amount was reached, for the finance office


@dataclass(frozen=True)
class CanteenScheme:
    """A city's canteen subsidies: a rate per m² built and per person served, each with a cap per canteen."""

    construction_fen_per_m2: int
    construction_cap_fen: int | None
    operating_fen_per_person: int
    operating_cap_fen: int | None


def home_care_bed_grant(elder: ElderProfile, city_code: str, on: date,
                        per_bed_fen: int = HOME_CARE_BED_FEN) -> Grant | NotEligible:
    """The grant for fitting one home care bed in ``elder``'s home (one bed per elder)."""
    if not elder.home_area_code.startswith(city_code):
        return NotEligible("home_area", f"for local residents of {city_code} (本市户籍)")
    if elder.age_on(on) < ELDER_AGE:
        return NotEligible("age", f"aged {elder.age_on(on)}, the subsidy is for elders {ELDER_AGE}+")
    if elder.disability_level == "independent" or elder.disability_severity not in HOME_CARE_BED_SEVERITIES:
        return NotEligible("disability", "for moderate or severe disability (中度和重度失能)")
    if not set(elder.household) & set(HOME_CARE_BED_HOUSEHOLDS):
        return NotEligible("household", "for minimum-living-allowance or extreme-poverty households (低保 / 特困)")
    return Grant("home_care_bed", per_bed_fen, f"1 bed × {money.yuan_text(per_bed_fen)} yuan")


def canteen_construction_grant(floor_area_m2: int, scheme: CanteenScheme) -> Grant:
    return _per_unit("canteen_construction", floor_area_m2, "floor_area_m2", "m²",
                     scheme.construction_fen_per_m2, scheme.construction_cap_fen)


def canteen_operating_grant(people_served: int, scheme: CanteenScheme) -> Grant:
    return _per_unit("canteen_operating", people_served, "people_served", "people",
                     scheme.operating_fen_per_person, scheme.operating_cap_fen)


def _per_unit(scheme: str, count: int, field: str, unit: str, rate_fen: int, cap_fen: int | None) -> Grant:
    if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
        raise Rejected("must be a positive integer", field=field)
    amount = count * rate_fen
    basis = f"{count} {unit} × {money.yuan_text(rate_fen)} yuan"
    if cap_fen is not None and amount > cap_fen:
        return Grant(scheme, cap_fen, f"{basis}, capped at {money.yuan_text(cap_fen)} yuan")
    return Grant(scheme, amount, basis)
