"""Commands and histories the alerts tests share: a village SOS and the times around it."""
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from services.alerts.domain import alerts as a
from services.alerts.domain.escalation import ack_within

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
VILLAGE = "210402003001"
SOS = a.RaiseAlert("al-1", "sos", "critical", "device", "btn-1", "el-1", None, VILLAGE, "village",
                   ack_within("critical"), T0)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def raised(**changes) -> list:
    return a.alert.run([], replace(SOS, **changes))[1]


def then(history: list, command) -> list:
    """The history after ``command``: the events it decided appended."""
    return history + a.alert.run(history, command)[1]
