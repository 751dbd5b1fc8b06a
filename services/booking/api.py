"""The booking service's HTTP operations on the node's API (``/api/v1/booking/...``), as data."""
from __future__ import annotations

from shared.http_api import HttpApi, Operation
from services.booking import bodies as s
from services.booking.actions import BOOKING_ACTIONS, path_of

_OPERATIONS = [
    Operation("POST", "/bookings", "http_request_booking", role="operator", body=s.RequestBody,
              response=s.BookingOut, status=201,
              summary="Request a booking: confirmed when the facility has room, else waitlisted or rejected"),
    Operation("POST", "/series", "http_request_series", role="operator", body=s.SeriesBody, response=s.SeriesOut,
              status=201, summary="Request a recurring booking: each occurrence confirmed, waitlisted or rejected"),
    Operation("GET", "/bookings", "http_list_bookings", query=s.BookingQuery, response=s.BookingOut, paginated=True,
              summary="Bookings in the caller's area, by facility, elder, series, status and days"),
    Operation("GET", "/bookings/{booking_id}", "http_get_booking", response=s.BookingOut, summary="One booking"),
    *[Operation("POST", f"/bookings/{{booking_id}}/{path_of(action)}", f"http_booking_{action}", role="operator",
                body=schema, response=s.BookingOut, summary=f"Booking: {path_of(action)}")
      for action, (schema, _, _) in BOOKING_ACTIONS.items()],
    Operation("GET", "/facilities/{facility_id}/schedule", "http_schedule", query=s.ScheduleQuery,
              response=s.ScheduleOut, summary="A facility's pools, free capacity and bookings, day by day"),
    Operation("POST", "/facilities/{facility_id}/capacity", "http_set_capacity", role="operator",
              body=s.CapacityBody, response=s.ScheduleOut,
              summary="Set a pool the facility's staff run (sessions, carers' time); answers today's schedule"),
    Operation("GET", "/elders/{elder_id}/bookings", "http_elder_bookings", query=s.ElderBookingQuery,
              response=s.BookingOut, paginated=True, summary="An elder's bookings at facilities in the caller's area"),
]

BOOKING_API = HttpApi("booking", _OPERATIONS, title="eldernet booking")
