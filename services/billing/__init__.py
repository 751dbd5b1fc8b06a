"""Billing (issue #6): subsidy policies as data, claims from delivered services, statements."""
