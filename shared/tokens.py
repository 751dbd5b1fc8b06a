"""API tokens: who may call a node's HTTP API, with which role, inside which area.

A token reads ``eln_<token_id>.<secret>``: the id finds the token's row, the secret proves the
holder has it. Tokens are event-sourced in the node service's store (``TokenIssued``,
``TokenRevoked``, stream ``token-<token_id>``) and read through the ``api_tokens`` projection.
Only the secret's SHA-256 is ever stored or published; the secret itself is shown once, when
the token is made (``eldernet token create``).

A token's area must lie inside its node's area: a district node cannot hand out a token for
the whole city.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from marshmallow import Schema, fields, post_load, validate
from sqlalchemy.engine import Connection

from shared.aggregate import Decider, Rejected
from shared.db import UTCDateTime
from shared.events import Event, format_time, is_area_code, parse_time
from shared.http_api import ROLES, Principal, Unauthorized
from shared.projections import Projection

TOKEN_ISSUED = "eldernet.node.TokenIssued"
TOKEN_REVOKED = "eldernet.node.TokenRevoked"
TOKEN_PREFIX = "eln_"
MAX_LABEL = 200
_TOKEN = re.compile(r"eln_([0-9a-f]{16})\.([A-Za-z0-9_-]{43})")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


# -- the token string -----------------------------------------------------------------------------
def new_token() -> tuple[str, str, str]:
    """A fresh ``(token, token_id, secret)``; the secret is 32 random bytes, URL-safe base64."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}{token_id}.{secret}", token_id, secret


def secret_sha256(secret: str) -> str:
    # A plain, fast hash is enough: the secret is 256 random bits, not a password a person chose,
    # so there is no dictionary to try and a brute-force search of the space is hopeless whatever
    # the hash costs. Slow password hashes (bcrypt, scrypt) would only make every request slower.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(text: str) -> tuple[str, str]:
    """``(token_id, secret)`` of a token string; Unauthorized when it is not one."""
    found = _TOKEN.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise Unauthorized("the bearer token is not an eldernet API token (eln_<token_id>.<secret>)")
    return found.group(1), found.group(2)


# -- commands and events --------------------------------------------------------------------------
@dataclass(frozen=True)
class IssueToken:
    token_id: str
    label: str
    area_code: str
    role: str
    expires_at: datetime | None
    secret_sha256: str
    node_area_code: str  # the issuing node's area: the token's area must lie inside it
    at: datetime


@dataclass(frozen=True)
class RevokeToken:
    token_id: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class TokenIssued:
    token_id: str
    label: str
    area_code: str
    role: str
    expires_at: datetime | None
    secret_sha256: str


@dataclass(frozen=True)
class TokenRevoked:
    token_id: str
    reason: str


@dataclass(frozen=True)
class Token:
    issued: bool = False
    revoked: bool = False


def decide(state: Token, command) -> list:
    if isinstance(command, IssueToken):
        _check_issue(state, command)
        return [TokenIssued(command.token_id, command.label, command.area_code, command.role,
                            command.expires_at, command.secret_sha256)]
    if isinstance(command, RevokeToken):
        if not state.issued:
            raise Rejected(f"no token with id {command.token_id!r}", field="token_id")
        return [] if state.revoked else [TokenRevoked(command.token_id, command.reason)]
    raise TypeError(f"unknown command {command!r}")


def _check_issue(state: Token, command: IssueToken) -> None:
    if state.issued:
        raise Rejected("a token with this id exists already", field="token_id")
    if not is_area_code(command.area_code):
        raise Rejected(f"{command.area_code!r} is not a GB/T 2260 area code (4, 6, 9 or 12 digits)", field="area_code")
    if not command.area_code.startswith(command.node_area_code):
        raise Rejected(f"{command.area_code} is outside this node's area {command.node_area_code}", field="area_code")
    if command.role not in ROLES:
        raise Rejected(f"{command.role!r} is not a role; one of {', '.join(ROLES)}", field="role")
    if len(command.label) > MAX_LABEL:
        raise Rejected(f"at most {MAX_LABEL} characters", field="label")
    if command.expires_at is not None and command.expires_at <= command.at:
        raise Rejected("must be in the future", field="expires_at")
    if not _SHA256_HEX.fullmatch(command.secret_sha256):
        raise Rejected("must be a SHA-256 in lowercase hex", field="secret_sha256")


def evolve(state: Token, event) -> Token:
    if isinstance(event, TokenIssued):
        return replace(state, issued=True)
    if isinstance(event, TokenRevoked):
        return replace(state, revoked=True)
    return state


token = Decider(category="token", initial=Token, decide=decide, evolve=evolve)


class TokenIssuedSchema(Schema):
    token_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"))
    label = fields.String(required=True, validate=validate.Length(max=MAX_LABEL))
    area_code = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{4}([0-9]{2}([0-9]{3}([0-9]{3})?)?)?$"))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    expires_at = fields.AwareDateTime(required=True, allow_none=True)
    secret_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))

    @post_load
    def make(self, data, **kwargs):
        return TokenIssued(**data)


class TokenRevokedSchema(Schema):
    token_id = fields.String(required=True)
    reason = fields.String(required=True)

    @post_load
    def make(self, data, **kwargs):
        return TokenRevoked(**data)


# -- the read model -------------------------------------------------------------------------------
metadata = sa.MetaData()
api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("token_id", sa.String(16), primary_key=True),
    sa.Column("label", sa.String(MAX_LABEL), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
)


class ApiTokens(Projection):
    name = "api_tokens"
    tables = (api_tokens,)
    handles = frozenset({TOKEN_ISSUED, TOKEN_REVOKED})

    def apply(self, conn: Connection, event: Event) -> None:
        data = event.data
        if event.type == TOKEN_ISSUED:
            expires_at = data.get("expires_at")
            conn.execute(api_tokens.insert().values(
                token_id=data["token_id"], label=data["label"], area_code=data["area_code"], role=data["role"],
                expires_at=None if expires_at is None else parse_time("expires_at", expires_at),
                revoked=False, secret_sha256=data["secret_sha256"], issued_at=event.time))
        else:
            conn.execute(api_tokens.update().where(api_tokens.c.token_id == data["token_id"]).values(revoked=True))


@dataclass(frozen=True)
class TokenRecord:
    """A row of ``api_tokens``."""

    token_id: str
    label: str
    area_code: str
    role: str
    expires_at: datetime | None
    revoked: bool
    secret_sha256: str
    issued_at: datetime

    def state(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        return "expired" if self.expires_at is not None and self.expires_at <= now else "active"


def find_token(conn: Connection, token_id: str) -> TokenRecord | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.token_id == token_id)).first()
    return None if row is None else TokenRecord(**row._mapping)


def tokens_inside(conn: Connection, area_code: str = "", limit: int | None = None, offset: int = 0
                  ) -> tuple[list[TokenRecord], int]:
    """Tokens whose area lies inside ``area_code`` (all when empty), oldest first, and how many in all."""
    inside = api_tokens.c.area_code.startswith(area_code, autoescape=True)
    total = conn.execute(sa.select(sa.func.count()).select_from(api_tokens).where(inside)).scalar_one()
    query = (sa.select(api_tokens).where(inside).order_by(api_tokens.c.issued_at, api_tokens.c.token_id)
             .limit(limit).offset(offset))
    return [TokenRecord(**row._mapping) for row in conn.execute(query)], total


def authenticate(record: TokenRecord | None, secret: str, now: datetime) -> Principal:
    """The principal of a presented token, or Unauthorized saying why not.

    Whether a token is revoked or expired is told only to a caller who holds its secret.
    """
    if record is None or not hmac.compare_digest(record.secret_sha256, secret_sha256(secret)):
        raise Unauthorized("unknown API token")
    if record.revoked:
        raise Unauthorized(f"API token {record.token_id} has been revoked")
    if record.expires_at is not None and record.expires_at <= now:
        raise Unauthorized(f"API token {record.token_id} expired at {format_time(record.expires_at)}")
    return Principal(token_id=record.token_id, area_code=record.area_code, role=record.role)
