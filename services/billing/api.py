"""The billing service's HTTP operations on the node's API (``/api/v1/billing/...``), as data."""
from __future__ import annotations

from shared.http_api import HttpApi, Operation
from services.billing import bodies as s

CLAIM_REVIEW = {"submit": s.ByBody, "approve": s.ByBody, "reject": s.RejectClaimBody, "pay": s.PayClaimBody,
                "reverse": s.ReverseClaimBody}
STATEMENT = "/statements/{area_code}/{month}"

_OPERATIONS = [
    Operation("GET", "/policies", "http_list_policies", query=s.PolicyQuery, response=s.PolicyOut,
              summary="The subsidy policy versions that pay in an area (its own and its enclosing areas')"),
    Operation("POST", "/policies", "http_load_policies", role="admin", body=s.PolicyLoadBody, response=s.LoadOut,
              status=201, summary="Load a policy file (YAML or JSON) into the city's or district's book"),
    Operation("POST", "/policies/preview", "http_preview", body=s.PreviewBody, response=s.PreviewOut,
              summary="Price a delivery as a claim would be, recording nothing"),
    Operation("GET", "/claims", "http_list_claims", query=s.ClaimQuery, response=s.ClaimOut, paginated=True,
              summary="Subsidy claims in the caller's area, by status, elder, facility and month"),
    Operation("GET", "/claims/{booking_id}", "http_get_claim", response=s.ClaimOut, summary="One claim"),
    *[Operation("POST", f"/claims/{{booking_id}}/{action}", f"http_claim_{action}", role="operator", body=schema,
                response=s.ClaimOut, summary=f"Claim: {action}") for action, schema in CLAIM_REVIEW.items()],
    Operation("POST", "/claims/{booking_id}/reprice", "http_claim_reprice", role="operator", response=s.ClaimOut,
              summary="Price a claim that was not eligible again, with the policies and elder known now"),
    Operation("GET", "/statements", "http_list_statements", query=s.StatementQuery, response=s.StatementOut,
              paginated=True, summary="Monthly statements of the areas (or facilities) in the caller's area"),
    Operation("GET", STATEMENT, "http_get_statement", query=s.OneStatementQuery, response=s.StatementOut,
              summary="A month's statement with its lines"),
    Operation("GET", STATEMENT + "/csv", "http_statement_csv", query=s.OneStatementQuery, response=s.CsvOut,
              summary="A month's statement as CSV (yuan, two decimals) for the finance office"),
    Operation("POST", STATEMENT + "/close", "http_close_statement", role="operator", response=s.StatementOut,
              summary="Close a month that is over: later lines land in the open month as adjustments"),
    Operation("POST", STATEMENT + "/approve", "http_approve_statement", role="operator",
              body=s.ApproveStatementBody, response=s.StatementOut,
              summary="Approve a closed statement at the caller's tier (town, district, city in turn)"),
    Operation("GET", "/budgets", "http_list_budgets", query=s.BudgetQuery, response=s.BudgetOut,
              summary="Budget lines with their allocation and spend to date"),
    Operation("POST", "/budgets", "http_allocate_budget", role="admin", body=s.BudgetBody, response=s.BudgetOut,
              status=201, summary="Allocate (or cut) a budget line for a year"),
    Operation("GET", "/summary", "http_summary", query=s.SummaryQuery, response=s.SummaryOut,
              summary="An area's month: its statement, those of the areas below it, claims by status"),
]

BILLING_API = HttpApi("billing", _OPERATIONS, title="eldernet billing")
