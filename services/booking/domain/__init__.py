"""The booking service's pure domain: the catalogue of services, capacity, bookings, an elder's
calendar and recurring bookings.

Nothing here does I/O or imports a framework (import-linter checks it); commands carry their own
time and ids, so every rule is tested in milliseconds (tests/unit/booking/).
"""
