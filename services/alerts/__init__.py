"""Alerts (issue #7): SOS and device alarms, supervision anomalies, escalation up the tiers."""
