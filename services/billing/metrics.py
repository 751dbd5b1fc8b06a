"""Billing's own Prometheus series (listed in docs/billing.md), beside the kernel's (shared/metrics.py).

Few and bounded: labels are the node and a word from a short fixed list (a claim's outcome), never
an elder, a booking or a facility. Created on first use, not at import.
"""
from __future__ import annotations

from prometheus_client import Counter

from shared.metrics import families

# event type (after eldernet.billing.) -> the claim outcome it counts
CLAIM_OUTCOMES = {"ClaimPriced": "priced", "ClaimNotEligible": "not_eligible", "ClaimApproved": "approved",
                  "ClaimRejected": "rejected", "ClaimPaid": "paid", "ClaimReversed": "reversed",
                  "ClaimWithdrawn": "withdrawn"}
PREFIX = "eldernet.billing."


class BillingMetrics:
    def __init__(self):
        self.claims = Counter("eldernet_billing_claims_total",
                              "Claim events recorded at this node, by outcome (priced, not_eligible, approved, "
                              "rejected, paid, reversed, withdrawn).", ["node", "outcome"])
        self.subsidy_priced = Counter("eldernet_billing_subsidy_priced_fen_total",
                                      "Subsidy priced into claim lines at this node, in fen (reversals not "
                                      "subtracted: see eldernet_billing_subsidy_reversed_fen_total).", ["node"])
        self.subsidy_reversed = Counter("eldernet_billing_subsidy_reversed_fen_total",
                                        "Subsidy of claim lines reversed at this node, in fen.", ["node"])
        self.statement_lines = Counter("eldernet_billing_statement_lines_total",
                                       "Claim lines (and reversals) landed on statements written at this node.",
                                       ["node"])
        self.budget_warnings = Counter("eldernet_billing_budget_warnings_total",
                                       "Budget lines that passed a warning threshold of their allocation.", ["node"])


def billing_metrics() -> BillingMetrics:
    return families(BillingMetrics)


def count(node_id: str, events) -> None:
    """Count billing's events just committed at ``node_id``."""
    m = billing_metrics()
    for event in events:
        kind = event.type[len(PREFIX):] if event.type.startswith(PREFIX) else ""
        if kind in CLAIM_OUTCOMES:
            m.claims.labels(node=node_id, outcome=CLAIM_OUTCOMES[kind]).inc()
        if kind == "ClaimPriced":
            m.subsidy_priced.labels(node=node_id).inc(event.data["line"]["subsidy_fen"])
        elif kind == "ClaimReversed":
            m.subsidy_reversed.labels(node=node_id).inc(-event.data["line"]["subsidy_fen"])
        elif kind == "LineAdded":
            m.statement_lines.labels(node=node_id).inc()
        elif kind == "BudgetThresholdPassed":
            m.budget_warnings.labels(node=node_id).inc()
