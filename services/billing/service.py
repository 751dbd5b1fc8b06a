"""The billing service (nameko): thin entrypoints over the service layer in handlers.py.

It prices the booking service's delivered bookings into subsidy claims, at the delivery's home
node only, with the policies the city and districts publish (synced down the tiers); approved
lines land on the statements of every tier and in the paying area's budget, each at its own home
node (intake.py). RPC methods are for trusted callers on the node's own broker; people reach the
service through the node's HTTP API (``api.py``). With no policy published it prices nothing and
records every delivery as not eligible (``no_policy``).
"""
from __future__ import annotations

from nameko.rpc import rpc

from shared.aggregate import Rejected
from shared.dependencies import EventSourced
from shared.entrypoints import consume_events
from shared.forwarding import HomeNodeForwarder
from shared.metrics import ServiceMetrics
from shared.schemas import jsonable, load
from shared.sync_intake import receive_synced_events
from services.billing import bodies as s, handlers
from services.billing.api import BILLING_API, CLAIM_REVIEW
from services.billing.elders import ELDER_EVENTS, elders_table
from services.billing.homing import references
from services.billing.intake import BOOKING_DELIVERED
from services.billing.metrics import billing_metrics
from services.billing.projections import billing_projections
from services.billing.schemas import PREFIX, billing_events


def _dump(schema, result):
    return jsonable(schema().dump(result, many=isinstance(result, list)))


class BillingService:
    name = "billing"
    uow = EventSourced(registry=billing_events(), projections=billing_projections(), tables=[elders_table],
                       references=references)
    metrics = ServiceMetrics(billing_metrics)  # its own series, registered at set-up (docs/billing.md)
    home_node = HomeNodeForwarder()  # single writer: a write for another node's record goes there

    # -- RPC: trusted callers on this node's broker ----------------------------------------
    @rpc
    def load_policies(self, payload):
        return handlers.load_policies(self.uow, load(s.PolicyLoadBody(), payload))

    @rpc
    def policies(self, area_code=None, on=None):
        return _dump(s.PolicyOut, handlers.list_policies(
            self.uow, load(s.PolicyQuery(), {k: v for k, v in (("area_code", area_code), ("on", on)) if v})))

    @rpc
    def preview_price(self, payload):
        return _dump(s.PreviewOut, handlers.preview(self.uow, load(s.PreviewBody(), payload)))

    @rpc
    def get_claim(self, booking_id):
        return _dump(s.ClaimOut, handlers.get_claim(self.uow, booking_id))

    @rpc
    def review_claim(self, booking_id, action, payload):
        if action not in CLAIM_REVIEW:
            raise Rejected(f"one of {', '.join(CLAIM_REVIEW)}", field="action")
        body = load(CLAIM_REVIEW[action](), payload)
        return _dump(s.ClaimOut, handlers.review_claim(self.uow, booking_id, action, body))

    @rpc
    def reprice_claim(self, booking_id):
        return _dump(s.ClaimOut, handlers.reprice_claim(self.uow, booking_id))

    @rpc
    def statement(self, area_code, month, facility_id=None):
        return _dump(s.StatementOut, handlers.get_statement(self.uow, area_code, month, facility_id))

    @rpc
    def close_statement(self, area_code, month):
        return _dump(s.StatementOut, handlers.close_statement(self.uow, area_code, month))

    @rpc
    def approve_statement(self, area_code, month, payload):
        """``payload``: {approver, approver_area} — the approving tier is that of approver_area."""
        body = {**load(s.ApproveStatementBody(), {"approver": payload.get("approver")}),
                "approver_area": payload.get("approver_area", "")}
        return _dump(s.StatementOut, handlers.approve_statement(self.uow, area_code, month, body))

    @rpc
    def allocate_budget(self, payload):
        return _dump(s.BudgetOut, handlers.allocate_budget(self.uow, load(s.BudgetBody(), payload)))

    @rpc
    def budgets(self, area_code=None, year=None):
        return _dump(s.BudgetOut, handlers.list_budgets(self.uow, {"area_code": area_code, "year": year}))

    # -- what the other services tell: deliveries to price, elders to know -------------------
    @consume_events(BOOKING_DELIVERED)
    def on_delivered(self, event):
        handlers.price_delivery(self.uow, event)

    @consume_events(*ELDER_EVENTS)
    def on_elder_event(self, event):
        handlers.learn_elder(self.uow, event)

    # -- its own approved lines, here or synced from below: onto statements and budgets ------
    @consume_events(PREFIX + "ClaimApproved", PREFIX + "ClaimReversed")
    def on_claim_line(self, event):
        handlers.land_line(self.uow, event)

    # -- tiered sync: what the parent sends down and the children forward up -------------
    @receive_synced_events()
    def receive_synced(self, event):
        with self.uow() as uow:
            uow.ingest(event)

    # -- HTTP, through the node's gateway ---------------------------------------------------
    @rpc
    def http(self, request):
        return self.home_node.serve(request, lambda: jsonable(BILLING_API.dispatch(self, request)))

    @rpc
    def openapi(self):
        return BILLING_API.openapi()

    def http_list_policies(self, principal, params, query, body):
        return handlers.list_policies(self.uow, query, principal)

    def http_load_policies(self, principal, params, query, body):
        return handlers.load_policies(self.uow, body, principal)

    def http_preview(self, principal, params, query, body):
        return handlers.preview(self.uow, body, principal)

    def http_list_claims(self, principal, params, query, body):
        return handlers.list_claims(self.uow, query, principal)

    def http_get_claim(self, principal, params, query, body):
        return handlers.get_claim(self.uow, params["booking_id"], principal)

    # One operation per step of a claim's review (api.py), each with its own body schema.
    def http_claim_submit(self, principal, params, query, body):
        return handlers.review_claim(self.uow, params["booking_id"], "submit", body, principal)

    def http_claim_approve(self, principal, params, query, body):
        return handlers.review_claim(self.uow, params["booking_id"], "approve", body, principal)

    def http_claim_reject(self, principal, params, query, body):
        return handlers.review_claim(self.uow, params["booking_id"], "reject", body, principal)

    def http_claim_pay(self, principal, params, query, body):
        return handlers.review_claim(self.uow, params["booking_id"], "pay", body, principal)

    def http_claim_reverse(self, principal, params, query, body):
        return handlers.review_claim(self.uow, params["booking_id"], "reverse", body, principal)

    def http_claim_reprice(self, principal, params, query, body):
        return handlers.reprice_claim(self.uow, params["booking_id"], principal)

    def http_list_statements(self, principal, params, query, body):
        return handlers.list_statements(self.uow, query, principal)

    def http_get_statement(self, principal, params, query, body):
        return handlers.get_statement(self.uow, params["area_code"], params["month"], query["facility_id"], principal)

    def http_statement_csv(self, principal, params, query, body):
        return handlers.statement_csv(self.uow, params["area_code"], params["month"], query["facility_id"], principal)

    def http_close_statement(self, principal, params, query, body):
        return handlers.close_statement(self.uow, params["area_code"], params["month"], principal)

    def http_approve_statement(self, principal, params, query, body):
        return handlers.approve_statement(self.uow, params["area_code"], params["month"], body, principal)

    def http_list_budgets(self, principal, params, query, body):
        return handlers.list_budgets(self.uow, query, principal)

    def http_allocate_budget(self, principal, params, query, body):
        return handlers.allocate_budget(self.uow, body, principal)

    def http_summary(self, principal, params, query, body):
        return handlers.summary(self.uow, query, principal)
