"""What billing knows of elders (老年人电子档案), from the registry's elder events: what pricing needs.

Kept in ``billing_elders``, one row per elder, written with the consumer's inbox in one
transaction. It is state about another service's events, not a read model of billing's own
store, so a replay of billing leaves it alone. The consumer handles several events at once and
retries failures, so one elder's events may arrive out of order: each attribute is kept with the
version of the elder's stream that said it, and the newest wins whatever the order.

Every node keeps the elders it hears of (its own and its subtree's); the node that prices a
delivery must know its elder, or the claim is not eligible with reason ``unknown_elder``.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from marshmallow import EXCLUDE, Schema, fields

from shared.events import Event
from shared.schemas import load
from services.billing.domain.pricing import ElderProfile

REGISTRY = "eldernet.registry."
ELDER_EVENTS = tuple(REGISTRY + name for name in
                     ("ElderRegistered", "DisabilityAssessed", "HouseholdChanged", "ElderMoved"))

elders_table = sa.Table(
    "billing_elders", sa.MetaData(),
    sa.Column("elder_id", sa.String(64), primary_key=True),
    sa.Column("birth_date", sa.Date),
    sa.Column("birth_version", sa.Integer, nullable=False, default=0),
    sa.Column("home_area_code", sa.String(12)),
    sa.Column("home_version", sa.Integer, nullable=False, default=0),
    sa.Column("disability_level", sa.String(32)),
    sa.Column("disability_severity", sa.String(16)),
    sa.Column("disability_version", sa.Integer, nullable=False, default=0),
    sa.Column("household", sa.JSON),
    sa.Column("household_version", sa.Integer, nullable=False, default=0),
)


class ElderPayload(Schema):
    """What billing reads of a registry elder event; the rest (name, id number …) is not its business."""

    class Meta:
        unknown = EXCLUDE

    elder_id = fields.String(required=True)
    birth_date = fields.Date()
    home_area_code = fields.String()
    household = fields.List(fields.String())
    level = fields.String()
    severity = fields.String(allow_none=True)


# event type: {attribute group: the payload fields it takes}
_SAYS = {
    "ElderRegistered": {"birth": ("birth_date",), "home": ("home_area_code",), "household": ("household",)},
    "DisabilityAssessed": {"disability": ("level", "severity")},
    "HouseholdChanged": {"household": ("household",)},
    "ElderMoved": {"home": ("home_area_code",)},
}
_COLUMNS = {"birth": {"birth_date": "birth_date"}, "home": {"home_area_code": "home_area_code"},
            "household": {"household": "household"},
            "disability": {"level": "disability_level", "severity": "disability_severity"}}


def learn(conn, event: Event) -> None:
    """Keep what ``event`` says of its elder, unless a newer event said it already."""
    data = load(ElderPayload(), event.data, prefix="data.")
    row = conn.execute(sa.select(elders_table).where(elders_table.c.elder_id == data["elder_id"])).mappings().first()
    values = {}
    for group, names in _SAYS[event.type[len(REGISTRY):]].items():
        if row is not None and row[f"{group}_version"] >= event.stream_version:
            continue
        values[f"{group}_version"] = event.stream_version
        for name in names:
            values[_COLUMNS[group][name]] = data.get(name)
    if row is None:
        conn.execute(elders_table.insert().values(elder_id=data["elder_id"], **values))
    elif values:
        conn.execute(elders_table.update().where(elders_table.c.elder_id == data["elder_id"]).values(**values))


def profile(conn, elder_id: str) -> ElderProfile | None:
    """The elder as pricing sees it, or None when this node has not heard of the elder's record.

    An elder never assessed counts as independent: a disability subsidy needs an assessment.
    """
    row = conn.execute(sa.select(elders_table).where(elders_table.c.elder_id == elder_id)).mappings().first()
    if row is None or row["birth_date"] is None or row["home_area_code"] is None:
        return None
    birth = row["birth_date"] if isinstance(row["birth_date"], date) else date.fromisoformat(row["birth_date"])
    level = row["disability_level"] or "independent"
    return ElderProfile(elder_id, birth, row["home_area_code"], level,
                        None if level == "independent" else row["disability_severity"],
                        tuple(sorted(row["household"] or ())))
