"""Booking (issue #5): elders book care services and beds; capacity never double-booked."""
