"""Issuing, revoking and listing tokens as the CLI does (a unit of work outside nameko), on SQLite
and PostgreSQL: events in the node's store, the api_tokens read model in step, no secret anywhere."""
import copy
import json
from datetime import timedelta

import pytest

from shared.aggregate import Rejected
from shared.config import DEFAULTS, merge
from shared.db import make_engine
from shared.events import utcnow
from shared.node_service import node_events
from shared.projections import Projections
from shared.store import EventStore
from shared.token_admin import issue_token, list_tokens, node_store, revoke_token
from shared.tokens import ApiTokens, parse_token


@pytest.fixture
def config(database_url, tmp_path):
    config = copy.deepcopy(DEFAULTS)
    merge(config, {"ELDERNET": {"node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                                "data_dir": str(tmp_path), "databases": {"node": database_url}}})
    return config


def stored_events(config):
    with node_store(config) as context:
        return context.store.read_all(0, 100)


def test_issue_list_and_revoke(config):
    now = utcnow()
    text, record = issue_token(config, "210402003", "operator", label="新抚 front desk", expires_in_days=90, now=now)
    token_id, secret = parse_token(text)
    assert (record.token_id, record.area_code, record.role, record.label) == (token_id, "210402003", "operator",
                                                                             "新抚 front desk")
    assert record.expires_at == now + timedelta(days=90) and not record.revoked
    issue_token(config, "210402", "viewer")
    assert [(r.role, r.state(utcnow())) for r in list_tokens(config)] == [("operator", "active"), ("viewer", "active")]

    revoked = revoke_token(config, token_id, reason="laptop lost")
    assert revoked.revoked and revoked.state(utcnow()) == "revoked"
    assert revoke_token(config, token_id).revoked  # again: nothing new recorded

    events = stored_events(config)
    assert [e.type for e in events] == ["eldernet.node.TokenIssued"] * 2 + ["eldernet.node.TokenRevoked"]
    assert events[0].stream_id == f"token-{token_id}" and events[0].area_code == "210402003"
    assert events[2].data == {"token_id": token_id, "reason": "laptop lost"}
    registry = node_events()
    for event in events:
        registry.validate(event)  # what a subscriber will check
    assert secret not in json.dumps([e.to_cloudevent() for e in events])


def test_a_refused_token_records_nothing(config):
    with pytest.raises(Rejected) as refused:
        issue_token(config, "210501", "admin")
    assert refused.value.field == "area_code"
    with pytest.raises(Rejected) as refused:
        revoke_token(config, "0123456789abcdef")
    assert refused.value.field == "token_id"
    assert stored_events(config) == [] and list_tokens(config) == []


def test_the_read_model_rebuilds_from_the_events(config):
    text, _ = issue_token(config, "210402", "admin")
    revoke_token(config, parse_token(text)[0])
    issue_token(config, "210402001", "viewer", expires_in_days=1)
    before = list_tokens(config)
    engine = make_engine(config["ELDERNET"]["databases"]["node"])
    try:
        assert Projections(EventStore(engine), [ApiTokens()]).rebuild("api_tokens") == 3
    finally:
        engine.dispose()
    assert list_tokens(config) == before
