from datetime import date, datetime, timezone

import pytest

from shared.aggregate import Rejected
from services.billing.domain.policy_book import PolicyPublished, PublishPolicies, policy_book

from billing_examples import CITY, DISTRICT, policies, policy

ON_NEW_YEAR = datetime(2026, 1, 1, tzinfo=timezone.utc)
[V1] = policies()
[V2] = policies(policy(version=2, effective_from="2026-07-01"))


def publish(history, *items, at=ON_NEW_YEAR, set_by=CITY):
    return policy_book.run(history, PublishPolicies(set_by, tuple(items), at))


def test_publishing_records_each_new_version():
    state, events = publish([], V1)
    assert events == [PolicyPublished(CITY, V1)]
    assert policy_book.stream_id(CITY) == "subsidy-policies-2104"
    assert state.in_force() == (V1,)


def test_loading_the_same_file_again_publishes_nothing():
    _, history = publish([], V1)
    assert publish(history, V1)[1] == []


def test_a_published_version_is_never_changed():
    _, history = publish([], V1)
    [changed] = policies(policy(copay_share="20%"))
    with pytest.raises(Rejected) as error:
        publish(history, changed)
    assert error.value.field == "policies[0].version"
    assert "publish a new version instead" in error.value.reason


def test_a_new_version_ends_the_open_one_from_the_day_it_takes_effect():
    _, history = publish([], V1)
    state, events = publish(history, V2, at=datetime(2026, 6, 15, tzinfo=timezone.utc))
    assert events == [PolicyPublished(CITY, V2)]
    first, second = state.in_force()
    assert (first.effective_to, second.effective_from) == (date(2026, 6, 30), date(2026, 7, 1))


def test_a_new_version_may_not_take_effect_in_the_past():
    _, history = publish([], V1)
    with pytest.raises(Rejected) as error:
        publish(history, V2, at=datetime(2026, 7, 2, tzinfo=timezone.utc))
    assert error.value.field == "policies[0].effective_from"
    assert "re-price services already priced" in error.value.reason


def test_a_first_policy_may_be_loaded_with_its_history():
    assert len(publish([], V1, V2, at=datetime(2026, 11, 23, tzinfo=timezone.utc))[1]) == 2


def test_a_book_holds_only_its_own_areas_policies():
    with pytest.raises(Rejected) as error:
        publish([], V1, set_by=DISTRICT)
    assert error.value.field == "policies[0].set_by"
