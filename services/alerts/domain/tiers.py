"""The four tiers an alert climbs (四级养老服务网络): village/community → town/street → district → city.

The kernel's ``shared.node.Tier`` says the same for nodes; the domain keeps its own plain tuple so it
depends on nothing but ``shared.aggregate`` and compares tiers by position.
"""
from __future__ import annotations

from shared.aggregate import Rejected

TIERS = ("village", "town", "district", "city")
# GB/T 2260 / statistics-bureau area codes: the length says which tier's area a code names.
AREA_CODE_TIER = {12: "village", 9: "town", 6: "district", 4: "city"}


def rank(tier: str) -> int:
    return TIERS.index(tier)


def parent(tier: str) -> str | None:
    """The next tier up, or None for the city (nothing is above it)."""
    index = rank(tier) + 1
    return TIERS[index] if index < len(TIERS) else None


def check_tier(tier: str, field: str) -> str:
    if tier not in TIERS:
        raise Rejected(f"one of {', '.join(TIERS)}", field=field)
    return tier


def tier_of_area(area_code: str, field: str = "area_code") -> str:
    """The tier whose area the code names: 12 digits a village, 9 a town, 6 a district, 4 a city."""
    if not isinstance(area_code, str) or not area_code.isascii() or not area_code.isdigit() \
            or len(area_code) not in AREA_CODE_TIER:
        raise Rejected("a 4-, 6-, 9- or 12-digit area code", field=field)
    return AREA_CODE_TIER[len(area_code)]
