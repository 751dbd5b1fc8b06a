"""The alerts service's pure domain: device signals, deduplication, the alert lifecycle, escalation
up the tiers, supervision rules (互联网+监管) and what a notifier is told.

Nothing here does I/O, reads a clock or imports a framework (import-linter checks it): commands
carry their own time and ids, and timers are pure functions of a state and an injected ``now``,
so every rule is tested in milliseconds (tests/unit/alerts/).
"""
