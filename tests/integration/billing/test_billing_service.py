"""Billing on one node, on the real broker and database, fed by the registry's and the booking
service's real events: a meal delivered through the booking service becomes a priced claim; the
same delivered event again (redelivered, or re-sent with a new id) never makes a second claim; a
delivery for an elder billing has not heard of is not eligible until the elder's record arrives,
then priced again; an approved claim lands on the district's and town's statements and in the
district's budget, which warns once its spend passes 80 % of the allocation, and its reversal nets
them to zero; every read model replays to what it was."""
import uuid

import pytest
import sqlalchemy as sa

from shared.events import Event, utcnow
from shared.outbox import to_message
from shared.publisher import ConfirmedPublisher
from shared.topology import EVENTS_EXCHANGE
from tests.integration.billing.builders import (claim_of, deliver_meal, knows_elder, policy_file, register_canteen,
                                                register_elder, statement_of, this_month, today)
from tests.support.broker import wait_for
from tests.support.nodes import call, provider_of, store_of

DISTRICT, TOWN, VILLAGE = "210402", "210402003", "210402003001"


def delivered_event(node, booking_id):
    return next(e for e in store_of(node["booking"]).read_stream(f"booking-{booking_id}")
                if e.type.endswith("BookingDelivered"))


def priced_meal(node):
    """The district's policy published, an elder assessed, a meal delivered at a town's canteen:
    the booking's id once its claim is priced."""
    registry, booking, billing = node["registry"], node["booking"], node["billing"]
    loaded = call(billing, "load_policies", policy_file(DISTRICT))
    assert loaded == {"set_by": DISTRICT, "published": ["home-care v1"], "already_published": []}
    elder_id = register_elder(registry, VILLAGE)
    facility_id = register_canteen(registry, booking, TOWN)
    wait_for(lambda: knows_elder(billing, elder_id, TOWN), message="billing to know the elder's assessment")
    booking_id = deliver_meal(booking, facility_id, elder_id)
    wait_for(lambda: claim_of(billing, booking_id), message="the delivered meal's claim")
    return booking_id


@pytest.mark.parametrize("config", ["sqlite", "postgresql"], indirect=True)
def test_a_delivered_meal_becomes_a_priced_claim_and_a_redelivery_never_doubles_it(node, amqp_uri, config):
    booking_id = priced_meal(node)
    claim = claim_of(node["billing"], booking_id)
    assert (claim["status"], claim["units"], claim["gross_fen"], claim["subsidy_fen"], claim["copay_fen"]) == \
           ("priced", 1, 1200, 1080, 120)
    assert (claim["policy_id"], claim["policy_version"], claim["set_by"], claim["area_code"]) == \
           ("home-care", 1, DISTRICT, TOWN)

    event = delivered_event(node, booking_id)
    again = event.replace(id="00000000-0000-4000-8000-000000000001")  # the same delivery, re-sent as new
    publish(amqp_uri, event, again)
    provider = provider_of(node["billing"])
    wait_for(lambda: provider.seen("billing.on_delivered", again), message="the re-sent delivery handled")
    claim_stream = store_of(node["billing"]).read_stream(f"subsidy-claim-{booking_id}")
    assert [e.type.rsplit(".", 1)[1] for e in claim_stream] == ["ClaimPriced"]
    assert call(node["billing"], "load_policies", policy_file(DISTRICT))["published"] == []


def test_a_delivery_for_an_elder_billing_has_not_heard_of_is_priced_once_the_record_arrives(node, amqp_uri):
    billing = node["billing"]
    call(billing, "load_policies", policy_file(DISTRICT))
    elder_id, booking_id = str(uuid.uuid4()), str(uuid.uuid4())
    data = {"booking_id": booking_id, "elder_id": elder_id, "facility_id": str(uuid.uuid4()), "area_code": TOWN,
            "service": "meals", "service_date": today(), "until": None, "units": 1, "unit": "meals",
            "delivered_at": utcnow().isoformat()}
    publish(amqp_uri, Event(type="eldernet.booking.BookingDelivered", source="eldernet://xinfu/booking",
                            subject=f"booking-{booking_id}", data=data, stream_id=f"booking-{booking_id}",
                            stream_version=4, origin_node="xinfu", area_code=TOWN))
    unknown = wait_for(lambda: claim_of(billing, booking_id), message="the claim")
    assert (unknown["status"], unknown["not_eligible"], unknown["subsidy_fen"]) == ("not_eligible", "unknown_elder", 0)
    assert call(billing, "reprice_claim", booking_id)["revision"] == 1  # nothing new known: nothing recorded

    register_elder(node["registry"], VILLAGE, elder_id=elder_id)  # aged 86: the 80+ group
    wait_for(lambda: claim_of(billing, booking_id)["status"] == "priced", message="the claim priced again")
    claim = claim_of(billing, booking_id)
    assert (claim["revision"], claim["subsidy_fen"], claim["not_eligible"]) == (2, 1080, None)
    stream = store_of(billing).read_stream(f"subsidy-claim-{booking_id}")
    assert [e.type.rsplit(".", 1)[1] for e in stream] == ["ClaimNotEligible", "ClaimPriced"]


def publish(amqp_uri, *events):
    publisher = ConfirmedPublisher(amqp_uri, EVENTS_EXCHANGE)
    try:
        publisher.publish_batch([to_message(e) for e in events])
    finally:
        publisher.close()


def test_an_approved_claim_lands_on_the_statements_and_the_budget_warns(node):
    billing = node["billing"]
    call(billing, "allocate_budget", {"area_code": DISTRICT, "budget_line": "home-care-purchase",
                                      "year": int(this_month()[:4]), "amount_fen": 1300})
    booking_id = priced_meal(node)
    call(billing, "review_claim", booking_id, "submit", {"by": "永安社区 张"})
    approved = call(billing, "review_claim", booking_id, "approve", {"by": "新抚区民政局 李"})
    assert (approved["status"], approved["reviewer"]) == ("approved", "新抚区民政局 李")

    month = this_month()
    district = wait_for(lambda: statement_of(billing, DISTRICT, month), message="the district's statement")
    assert (district["lines"], district["subsidy_fen"], district["copay_fen"]) == (1, 1080, 120)
    assert [i["booking_id"] for i in district["line_items"]] == [booking_id]
    assert statement_of(billing, TOWN, month)["subsidy_fen"] == 1080
    budget = next(b for b in call(billing, "budgets", DISTRICT) if b["area_code"] == DISTRICT)
    assert (budget["allocated_fen"], budget["spent_fen"], budget["warnings"]) == (1300, 1080, ["0.8"])

    reversed_ = call(billing, "review_claim", booking_id, "reverse", {"reason": "recorded against the wrong elder"})
    assert reversed_["status"] == "reversed"
    wait_for(lambda: statement_of(billing, DISTRICT, month)["lines"] == 2, message="the reversal on the statement")
    district = statement_of(billing, DISTRICT, month)
    assert (district["subsidy_fen"], district["copay_fen"], district["gross_fen"]) == (0, 0, 0)
    spent = next(b for b in call(billing, "budgets", DISTRICT) if b["area_code"] == DISTRICT)["spent_fen"]
    assert spent == 0

    # Every read model is the store's: replayed from nothing, it is row for row what it was.
    provider = provider_of(billing)
    for projection in provider.projections.by_name.values():
        before = read_model(provider, projection)
        provider.projections.rebuild(projection.name)
        assert read_model(provider, projection) == before, projection.name


def read_model(provider, projection):
    with provider.store.engine.connect() as conn:
        return {table.name: sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(table)))
                for table in projection.tables}


def test_a_late_line_for_a_closed_month_lands_in_the_open_month_as_a_dated_adjustment(node, amqp_uri):
    """Service date vs capture date: a delivery of last month, approved after the town closed last
    month's statement, is an adjustment on this month's town statement; the district, which has not
    closed last month, takes it in last month's."""
    billing = node["billing"]
    call(billing, "load_policies", policy_file(DISTRICT))
    elder_id = register_elder(node["registry"], VILLAGE)
    wait_for(lambda: knows_elder(billing, elder_id, TOWN), message="billing to know the elder")
    now, last_month = this_month(), previous_month(this_month())
    closed = call(billing, "close_statement", TOWN, last_month)
    assert (closed["status"], closed["lines"]) == ("closed", 0)

    booking_id = str(uuid.uuid4())
    data = {"booking_id": booking_id, "elder_id": elder_id, "facility_id": str(uuid.uuid4()), "area_code": TOWN,
            "service": "meals", "service_date": f"{last_month}-28", "until": None, "units": 1, "unit": "meals",
            "delivered_at": utcnow().isoformat()}  # recorded late: the village was offline
    publish(amqp_uri, Event(type="eldernet.booking.BookingDelivered", source="eldernet://xinfu/booking",
                            subject=f"booking-{booking_id}", data=data, stream_id=f"booking-{booking_id}",
                            stream_version=4, origin_node="xinfu", area_code=TOWN))
    wait_for(lambda: claim_of(billing, booking_id), message="the late claim")
    assert claim_of(billing, booking_id)["month"] == last_month  # the claim belongs to its service month
    call(billing, "review_claim", booking_id, "submit", {"by": "张"})
    call(billing, "review_claim", booking_id, "approve", {"by": "李"})

    town = wait_for(lambda: statement_of(billing, TOWN, now), message="this month's town statement")
    [line] = town["line_items"]
    assert (line["adjustment_for"], line["service_date"], town["adjustments_fen"]) == (last_month, f"{last_month}-28",
                                                                                      1080)
    assert statement_of(billing, TOWN, last_month)["lines"] == 0  # the closed statement is not rewritten
    district = wait_for(lambda: statement_of(billing, DISTRICT, last_month), message="the district's last month")
    assert (district["subsidy_fen"], district["adjustments_fen"]) == (1080, 0)


def previous_month(month):
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"
