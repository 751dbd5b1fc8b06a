"""eldernet's domain services. Each lives in ``services/<name>/`` with a pure ``domain.py``, its
``schemas.py``, ``projections.py`` and a thin nameko ``service.py`` (see docs/architecture.md)."""
