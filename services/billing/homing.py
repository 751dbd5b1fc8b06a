"""What a billing record received over a sync link needs stored first (the kernel holds it till then).

Every billing record is written at the home node of its area (the kernel's default): a policy book
at its city's or district's node, a claim at its delivery's, a statement at its area's, a budget at
its paying area's. A claim priced under a policy refers to that policy's book: a claim from a
village priced by its district's policy may reach the city before the district's book does.
"""
from __future__ import annotations

from shared.events import Event

POLICY_BOOK = "subsidy-policies-"
PRICED = ("eldernet.billing.ClaimPriced", "eldernet.billing.ClaimNotEligible")


def references(event: Event) -> list[str]:
    if event.type not in PRICED:
        return []
    set_by = (event.data.get("line") or {}).get("set_by")
    if set_by is None:  # not eligible: a policy, if any, is named by id only; nothing to wait for
        return []
    return [POLICY_BOOK + set_by]
