"""API tokens, the pure parts: the token string, the token aggregate's decisions, authentication."""
import hashlib
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from shared.aggregate import Rejected
from shared.http_api import Principal, Unauthorized
from shared.tokens import (IssueToken, RevokeToken, TokenIssued, TokenRecord, TokenRevoked, authenticate, new_token,
                           parse_token, secret_sha256, token)

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
HASH = "0" * 64


def issue(**changes):
    command = IssueToken(token_id="0123456789abcdef", label="front desk", area_code="210402003", role="operator",
                         expires_at=NOW + timedelta(days=90), secret_sha256=HASH, node_area_code="210402", at=NOW)
    return replace(command, **changes)


def test_a_new_token_parses_back_to_its_id_and_secret():
    text, token_id, secret = new_token()
    assert text == f"eln_{token_id}.{secret}" and len(token_id) == 16 and len(secret) == 43
    assert parse_token(text) == (token_id, secret) == parse_token(f"  {text}\n")
    assert new_token()[0] != text
    assert secret_sha256(secret) == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.parametrize("text", ["", "eln_", "eln_0123456789abcdef", "eln_0123456789abcdef.short",
                                  "xyz_0123456789abcdef." + "A" * 43, "eln_0123456789ABCDEF." + "A" * 43, None])
def test_anything_else_is_not_a_token(text):
    with pytest.raises(Unauthorized, match="not an eldernet API token"):
        parse_token(text)


def test_a_token_is_issued_inside_the_nodes_area_and_revoked_once():
    history = token.decide(token.initial(), issue())
    assert history == [TokenIssued("0123456789abcdef", "front desk", "210402003", "operator", NOW + timedelta(days=90), HASH)]
    state = token.fold(history)
    assert token.decide(state, RevokeToken("0123456789abcdef", "lost", NOW)) == [TokenRevoked("0123456789abcdef", "lost")]
    revoked = token.fold([TokenRevoked("0123456789abcdef", "lost")], state)
    assert token.decide(revoked, RevokeToken("0123456789abcdef", "again", NOW)) == []  # revoking twice changes nothing
    assert token.decide(token.initial(), issue(area_code="210402", expires_at=None))[0].expires_at is None


@pytest.mark.parametrize("changes,field,reason", [
    ({"area_code": "210403"}, "area_code", "210403 is outside this node's area 210402"),
    ({"area_code": "2104"}, "area_code", "2104 is outside this node's area 210402"),
    ({"area_code": "21O402"}, "area_code", "'21O402' is not a GB/T 2260 area code"),
    ({"role": "root"}, "role", "'root' is not a role; one of viewer, operator, admin"),
    ({"label": "x" * 201}, "label", "at most 200 characters"),
    ({"expires_at": NOW}, "expires_at", "must be in the future"),
    ({"secret_sha256": "my-secret"}, "secret_sha256", "must be a SHA-256"),
])
def test_a_bad_token_is_refused_naming_the_field(changes, field, reason):
    with pytest.raises(Rejected) as refused:
        token.decide(token.initial(), issue(**changes))
    assert refused.value.field == field and refused.value.reason.startswith(reason)


def test_an_unknown_or_reused_token_id_is_refused():
    with pytest.raises(Rejected, match="no token with id 'feedfeedfeedfeed'"):
        token.decide(token.initial(), RevokeToken("feedfeedfeedfeed", "", NOW))
    with pytest.raises(Rejected, match="exists already"):
        token.decide(token.fold(token.decide(token.initial(), issue())), issue())


def record(**changes):
    fields = dict(token_id="0123456789abcdef", label="", area_code="210402", role="operator",
                  expires_at=NOW + timedelta(days=1), revoked=False, secret_sha256=secret_sha256("s3cret"), issued_at=NOW)
    return TokenRecord(**{**fields, **changes})


def test_authentication_needs_the_secret_then_a_live_token():
    assert authenticate(record(), "s3cret", NOW) == Principal("0123456789abcdef", "210402", "operator")
    assert authenticate(record(expires_at=None), "s3cret", NOW + timedelta(days=3650)).role == "operator"
    for found, secret, message in ((None, "s3cret", "unknown API token"),
                                   (record(), "guess", "unknown API token"),
                                   (record(revoked=True), "guess", "unknown API token"),  # no state told to a guesser
                                   (record(revoked=True), "s3cret", "API token 0123456789abcdef has been revoked"),
                                   (record(expires_at=NOW), "s3cret",
                                    "API token 0123456789abcdef expired at 2026-11-23T08:00:00.000000Z")):
        with pytest.raises(Unauthorized) as refused:
            authenticate(found, secret, NOW)
        assert refused.value.message == message
    assert record(revoked=True).state(NOW) == "revoked" and record(expires_at=NOW).state(NOW) == "expired"
    assert record().state(NOW) == "active"
