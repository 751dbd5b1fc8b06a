"""The registry's pure domain: areas, facilities, elders and the rules that keep them valid.

Nothing here does I/O or imports a framework (import-linter checks it); commands carry their own
time and ids, so every rule is tested in milliseconds (tests/unit/registry/).
"""
