"""What each step of a booking takes (its body schema), which command it makes, and whether it gives
the booking's place back (then capacity releases it and the elder's time is freed)."""
from __future__ import annotations

from services.booking import bodies as s
from services.booking.domain import bookings as b

# action: (body schema or None, body -> (booking id, at) -> command, gives the place back)
BOOKING_ACTIONS = {
    "cancel": (s.CancelBody, lambda body: lambda i, at: b.CancelBooking(i, body["by"], body["reason"], at), True),
    "check_in": (None, lambda body: lambda i, at: b.CheckIn(i, at), False),
    "deliver": (s.DeliverBody, lambda body: lambda i, at: b.DeliverBooking(i, body["units"], at), False),
    "no_show": (None, lambda body: lambda i, at: b.MarkNoShow(i, at), True),
}


def path_of(action: str) -> str:
    return action.replace("_", "-")
