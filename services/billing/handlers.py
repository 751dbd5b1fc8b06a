"""The billing service layer: one function per command or query, called by the nameko entrypoints
(RPC and HTTP) with input already loaded through its schema. Each checks the caller's area scope,
runs the step in one unit of work (retried when another writer got there first) and answers from
the read models.

``scope`` is the caller's Principal for HTTP requests and None for trusted calls over the node's
own broker. Every record is written at the home node of its area (single writer): a policy book at
its city's or district's node, a claim at its delivery's, a statement at its area's.
"""
from __future__ import annotations

import yaml

from shared.aggregate import Rejected
from shared.events import utcnow
from shared.http_api import NotFound, Page, area_filter, require_seen, require_write
from shared.retry import retrying
from shared.schemas import PayloadError, jsonable
from services.billing import elders, intake, metrics, queries
from services.billing.domain import budgets as b, claim_messages as m, statements as s
from services.billing.domain.claims import claim
from services.billing.domain.months import month_of
from services.billing.domain.policies import check_policy_set, policy_in_force
from services.billing.domain.policy_book import PublishPolicies, policy_book
from services.billing.domain.policy_file import parse_policy
from services.billing.domain.pricing import Delivery, ElderProfile, NotEligible, price

TIER_OF_LENGTH = {length: tier for tier, length in s.CODE_LENGTH.items()}


def _run(uow, step) -> list:
    """``step(work)`` in one unit of work, decided again on a lost race; its events, counted once committed."""
    def attempt():
        with uow() as work:
            return step(work) or []
    recorded = retrying(attempt, "billing")
    metrics.count(uow.node.id, recorded)
    return recorded


# -- policies -----------------------------------------------------------------------------------
def read_policy_file(body: dict) -> tuple:
    """The policies of a load request as written (open ends left open: the book resolves them),
    checked as a set; a fault is a 400 naming the field in the body (``body.policies[2].rates``)."""
    data = body["policies"]
    if data is None:
        try:
            data = yaml.safe_load(body["document"])
        except yaml.YAMLError as error:
            raise PayloadError({"body.document": [f"neither YAML nor JSON: {error}"]}) from None
    items = data.get("policies") if isinstance(data, dict) else data
    try:
        if not isinstance(items, list) or not items:
            raise Rejected("a non-empty list of policies", field="policies")
        written = tuple(parse_policy(item, f"policies[{i}]") for i, item in enumerate(items))
        check_policy_set(written)
    except Rejected as refusal:
        raise PayloadError({f"body.{refusal.field}": [refusal.reason]}) from None
    return written


def load_policies(uow, body: dict, scope=None) -> dict:
    """Publish a policy file in its area's book: new versions are published, those published
    already change nothing; overlapping or contradictory versions are refused, naming the field."""
    written = read_policy_file(body)
    set_by = written[0].set_by
    for i, policy in enumerate(written):
        if policy.set_by != set_by:
            raise PayloadError({f"body.policies[{i}].set_by": [
                f"one file is one area's book: {policy.set_by} here, {set_by} in policies[0]"]})
    require_write(scope, set_by)

    def step(work):
        try:
            return work.execute(policy_book, set_by, PublishPolicies(set_by, written, utcnow()),
                                area_code=set_by)
        except Rejected as refusal:
            if refusal.field and refusal.field.startswith("policies["):
                # A clash with what the book has published already: how things stand, 409.
                raise Rejected(refusal.reason, field=f"body.{refusal.field}") from None
            raise
    published = _run(uow, step)
    labels = {f"{e.data['policy']['policy_id']} v{e.data['policy']['version']}" for e in published}
    return {"set_by": set_by, "published": sorted(labels),
            "already_published": sorted(p.label for p in written if p.label not in labels)}


def list_policies(uow, query: dict, scope=None) -> list[dict]:
    area_code = area_filter(scope, query.get("area_code"))
    with uow.read() as conn:
        return queries.policies_for(conn, area_code or uow.node.area_code, query.get("on"))


def preview(uow, body: dict, scope=None) -> dict:
    """What a delivery would be paid, priced as a claim would be today; nothing is recorded."""
    if scope is not None:
        scope.require_read(body["area_code"])
    delivery = Delivery(body.get("booking_id", "preview"), body["elder_id"] or "preview", body["facility_id"],
                        body["area_code"], body["service"], body["service_date"], body["units"], body["unit"],
                        utcnow())
    with uow() as work:
        elder = (elders.profile(work.conn, body["elder_id"]) if body["elder_id"] is not None
                 else ElderProfile("preview", *[body["elder"][k] for k in (
                     "birth_date", "home_area_code", "disability_level", "disability_severity")],
                     tuple(body["elder"]["household"])))
        if elder is None:
            raise Rejected(f"billing has no record of elder {body['elder_id']} here", field="elder_id")
        policies = intake.policies_for(work, delivery.area_code)
        policy = policy_in_force(policies, delivery.service, delivery.area_code, delivery.service_date)
        claimed = 0 if policy is None or body["elder_id"] is None else intake.claimed_this_month(
            work.conn, body["elder_id"], policy.policy_id, month_of(delivery.service_date))
    outcome = price(delivery, elder, policies, claimed)
    if isinstance(outcome, NotEligible):
        return {"eligible": False, "line": None, "reason": outcome.reason, "detail": outcome.detail,
                "policy_id": outcome.policy_id, "policy_version": outcome.policy_version,
                "claimed_this_month_fen": claimed}
    return {"eligible": True, "line": jsonable(outcome), "reason": None, "detail": None,
            "policy_id": outcome.policy_id, "policy_version": outcome.policy_version,
            "claimed_this_month_fen": claimed}


# -- claims -------------------------------------------------------------------------------------
def price_delivery(uow, event) -> list:
    """A delivered booking (the consumer's one unit of work): priced here if this is its home node."""
    return _run(uow, lambda work: intake.price(work, event))


def land_line(uow, event) -> list:
    """An approved claim line or its reversal onto the statements and budget written here."""
    return _run(uow, lambda work: intake.land(work, event))


def learn_elder(uow, event) -> list:
    """A registry elder event: kept, and the claims waiting for the elder's record priced again."""
    return _run(uow, lambda work: intake.learn_elder(work, event))


def reprice_claim(uow, booking_id: str, scope=None) -> dict:
    """Price a claim that was not eligible again (a policy was published since, the elder's record
    arrived), at the claim's home node; nothing changes when nothing new is known."""
    row = get_claim(uow, booking_id, scope)

    def step(work):
        require_write(scope, row["area_code"])
        work.require_home(claim.stream_id(booking_id), row["area_code"])
        return intake.reprice(work, booking_id, utcnow())
    _run(uow, step)
    return get_claim(uow, booking_id, scope)


CLAIM_STEPS = {
    "submit": lambda i, body, at: m.SubmitClaim(i, body["by"], at),
    "approve": lambda i, body, at: m.ApproveClaim(i, body["by"], at),
    "reject": lambda i, body, at: m.RejectClaim(i, body["by"], body["reason"], at),
    "pay": lambda i, body, at: m.RecordPayment(i, body["payment_ref"], body["paid_on"], at),
    "reverse": lambda i, body, at: m.CancelDelivery(i, body["reason"], at),
}


def review_claim(uow, booking_id: str, action: str, body: dict, scope=None) -> dict:
    """Submit, approve, reject, pay or reverse a claim, at the claim's home node."""
    row = get_claim(uow, booking_id, scope)

    def step(work):
        require_write(scope, row["area_code"])
        command = CLAIM_STEPS[action](booking_id, body, utcnow())
        return work.execute(claim, booking_id, command, area_code=row["area_code"])
    _run(uow, step)
    return get_claim(uow, booking_id, scope)


def get_claim(uow, booking_id: str, scope=None) -> dict:
    with uow.read() as conn:
        row = queries.get_claim(conn, booking_id)
    require_seen(scope, row and row["area_code"], f"claim for booking {booking_id}")
    return row


def list_claims(uow, query: dict, scope=None) -> Page:
    area_code = area_filter(scope, query.get("area_code"))
    filters = {k: query.get(k) for k in queries.CLAIM_FILTERS}
    with uow.read() as conn:
        rows, total = queries.list_claims(conn, area_code, limit=query["limit"], offset=query["offset"], **filters)
    return Page(rows, total, query["limit"], query["offset"])


# -- statements ---------------------------------------------------------------------------------
def get_statement(uow, area_code: str, month: str, facility_id: str | None = None, scope=None) -> dict:
    if scope is not None:
        scope.require_read(area_code)
    with uow.read() as conn:
        found = queries.get_statement(conn, area_code, month, facility_id)
    if found is None:
        raise NotFound(f"no statement of {facility_id or area_code} for {month} here")
    return found


def statement_csv(uow, area_code: str, month: str, facility_id: str | None = None, scope=None) -> dict:
    found = get_statement(uow, area_code, month, facility_id, scope)
    name = f"subsidy-statement-{facility_id or area_code}-{month}.csv"
    return {"filename": name, "content_type": "text/csv; charset=utf-8", "csv": queries.statement_csv(found)}


def list_statements(uow, query: dict, scope=None) -> Page:
    area_code = area_filter(scope, query.get("area_code"))
    with uow.read() as conn:
        rows, total = queries.list_statements(conn, area_code, query.get("month"), query["facilities"],
                                              query["limit"], query["offset"])
    return Page(rows, total, query["limit"], query["offset"])


def close_statement(uow, area_code: str, month: str, scope=None) -> dict:
    """Close an area's month (once it is over): later lines for it become adjustments of the open month."""
    require_write(scope, area_code)
    key = _statement_key(area_code, month)
    _run(uow, lambda work: work.execute(s.statement, key.id, s.CloseStatement(key, utcnow()),
                                        area_code=area_code))
    return get_statement(uow, area_code, month)


def approve_statement(uow, area_code: str, month: str, body: dict, scope=None) -> dict:
    """Approve a closed statement at the caller's tier: town, then district, then city; the last locks it.
    Over RPC (no scope) the body names ``approver_area``."""
    approver_area = scope.area_code if scope is not None else body.get("approver_area", "")
    require_write(scope, area_code)
    tier = TIER_OF_LENGTH.get(len(approver_area))
    if tier not in s.APPROVAL_ORDER:
        raise Rejected(f"{approver_area or 'no area'} is not a town, district or city", field="approver_area")
    key = _statement_key(area_code, month)
    command = s.ApproveStatement(key, tier, approver_area, body["approver"], utcnow())
    _run(uow, lambda work: work.execute(s.statement, key.id, command, area_code=area_code))
    return get_statement(uow, area_code, month)


def _statement_key(area_code: str, month: str) -> s.StatementKey:
    if len(area_code) not in TIER_OF_LENGTH:
        raise Rejected("a city, district, town or village code", field="area_code")
    return s.StatementKey(area_code, month)


def summary(uow, query: dict, scope=None) -> dict:
    area_code = area_filter(scope, query.get("area_code")) or uow.node.area_code
    with uow.read() as conn:
        return queries.summary(conn, area_code, query["month"])


# -- budgets ------------------------------------------------------------------------------------
def allocate_budget(uow, body: dict, scope=None) -> dict:
    """Add to (or cut) a budget line's allocation for a year, at the paying area's node."""
    area_code = body["area_code"]
    if len(area_code) not in (4, 6):
        raise PayloadError({"body.area_code": ["a city (4 digits) or district (6) pays subsidies"]})
    require_write(scope, area_code)
    key = b.BudgetKey(area_code, body["budget_line"], body["year"])
    _run(uow, lambda work: work.execute(b.budget, key.id, b.AllocateBudget(key, body["amount_fen"], utcnow()),
                                        area_code=area_code))
    return next(row for row in list_budgets(uow, {"area_code": area_code, "year": key.year})
                if row["budget_line"] == key.budget_line and row["area_code"] == area_code)


def list_budgets(uow, query: dict, scope=None) -> list[dict]:
    area_code = area_filter(scope, query.get("area_code")) or uow.node.area_code
    with uow.read() as conn:
        return queries.list_budgets(conn, area_code, query.get("year"))
