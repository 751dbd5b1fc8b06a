"""The pure parts of the billing service around its domain: what a synced record waits for, the
HTTP operations each served by a method of the service, the events' schemas round-trip."""
import json

import pytest

from shared.events import Event
from services.billing.api import BILLING_API
from services.billing.domain import claim_messages as m
from services.billing.domain.claims import claim
from services.billing.domain.policy_book import PolicyPublished
from services.billing.homing import references
from services.billing.schemas import billing_events
from services.billing.service import BillingService

from billing_examples import AT, CITY, delivery, elder, policies

EVENTS = billing_events()


def stored(domain_event, stream_version=1):
    type_, data, _ = EVENTS.serialize(domain_event)
    return Event(type=type_, source="eldernet://xinfu-s03-c001/billing", subject="s", stream_id="s",
                 stream_version=stream_version, origin_node="xinfu-s03-c001", area_code="210402003001",
                 data=json.loads(json.dumps(data)))


def test_a_priced_claim_waits_for_the_policy_book_that_priced_it_and_nothing_else_waits():
    [priced] = claim.decide(claim.initial(), m.PriceDelivery(delivery(), elder(), policies(), 0, AT))
    assert references(stored(priced)) == [f"subsidy-policies-{CITY}"]
    [unpaid] = claim.decide(claim.initial(), m.PriceDelivery(delivery(), None, policies(), 0, AT))
    assert references(stored(unpaid)) == []
    assert references(stored(PolicyPublished(CITY, policies()[0]))) == []


@pytest.mark.parametrize("make", [
    lambda: PolicyPublished(CITY, policies()[0]),
    lambda: claim.decide(claim.initial(), m.PriceDelivery(delivery(), elder(), policies(), 0, AT))[0],
    lambda: claim.decide(claim.initial(), m.PriceDelivery(delivery(), None, policies(), 0, AT))[0],
])
def test_events_come_back_from_json_as_the_domain_recorded_them(make):
    event = make()
    assert EVENTS.to_domain(EVENTS.validate(stored(event))) == event


def test_every_http_operation_is_served_by_a_method_of_the_service_and_documented():
    for operation in BILLING_API.operations:
        assert callable(getattr(BillingService, operation.handler, None)), operation.handler
    paths = BILLING_API.openapi()["paths"]
    assert "/api/v1/billing/claims/{booking_id}/approve" in paths
    assert "/api/v1/billing/statements/{area_code}/{month}/csv" in paths
