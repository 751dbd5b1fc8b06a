"""Billing's pure domain: subsidy policies as data, pricing of deliveries, claims, statements, budgets.

Nothing here does I/O or imports a framework (import-linter checks it); commands carry their own
time and ids, so every rule is tested in milliseconds (tests/unit/billing/). Money is integer fen
(money.py). A delivery and an elder arrive as billing's own values (pricing.Delivery,
pricing.ElderProfile), built by the service layer from the booking and registry events it receives.
"""
