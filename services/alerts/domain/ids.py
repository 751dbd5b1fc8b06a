"""Ids derived from what they name, so that two nodes (or one node twice) deciding the same fact
name it the same way, and inboxes and deciders drop the second copy instead of acting twice.
"""
from __future__ import annotations

import uuid

# Fixed for ever: changing it renames every derived id already stored on every node.
NAMESPACE = uuid.UUID("5f0c3b52-8a1e-4f3e-9d57-2a4e7c1b6e10")


def derived_id(*parts: str) -> str:
    """A UUID (version 5) of ``parts``: the same parts give the same id on every node, for ever."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(parts)))
