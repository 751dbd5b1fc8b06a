"""Alembic's script directory for the kernel's tables (see shared/schema.py and docs/deploy.md)."""
