"""The alerts service's own tables beside its read models: state about signals, devices' last
signals, notices to deliver and other services' bookings. They are written in the same transaction
as the events they go with; a replay of the read models leaves them alone (so a replay does not
tell anyone of an alert again, nor forget which burst a signal belongs to).
"""
from __future__ import annotations

import sqlalchemy as sa

from shared.db import UTCDateTime

metadata = sa.MetaData()

# One per device and alarm kind: the latest alert of that key and its last counted signal
# (domain/deduplication.py Burst).
bursts = sa.Table(
    "alerts_bursts", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(64), primary_key=True),
    sa.Column("alert_id", sa.String(64), nullable=False, index=True),
    sa.Column("last_at", UTCDateTime, nullable=False),
    sa.Column("open", sa.Boolean, nullable=False),
)

# A heartbeat is a measurement, not an event: the last time each device was heard from.
heard = sa.Table(
    "alerts_device_heard", metadata,
    sa.Column("device_id", sa.String(64), primary_key=True),
    sa.Column("last_heard_at", UTCDateTime, nullable=False),
)

# What the notifiers are to be told (domain/notices.py), kept until told: a notifier that fails
# (a webhook down) is tried again at the next check; the key makes each notice once per node.
notices = sa.Table(
    "alerts_notices", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("what", sa.String(16), nullable=False),
    sa.Column("alert_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False),
    sa.Column("tier", sa.String(16), nullable=False, index=True),
    sa.Column("from_tier", sa.String(16)),
    sa.Column("elder_id", sa.String(64)),
    sa.Column("facility_id", sa.String(64)),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("told", sa.Boolean, nullable=False, index=True),
)

# The booking service's bookings, as far as supervision needs them (its events, consumed).
bookings = sa.Table(
    "alerts_booking_facts", metadata,
    sa.Column("booking_id", sa.String(64), primary_key=True),
    sa.Column("elder_id", sa.String(64), nullable=False),
    sa.Column("facility_id", sa.String(64), nullable=False),
    sa.Column("area_code", sa.String(12), nullable=False, index=True),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
)

OWN_TABLES = (bursts, heard, notices, bookings)
