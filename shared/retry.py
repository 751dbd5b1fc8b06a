"""Deciding again when another writer got there first (optimistic concurrency, docs/architecture.md).

A unit of work that loses a race for a stream raises ``ConcurrencyError`` at commit; the answer is
to load afresh and decide again, never to write on stale state.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

from shared.store import ConcurrencyError

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 10  # racers for one stream each lose at most once per winner before them


def retrying(attempt: Callable[[], T], what: str = "unit of work", attempts: int = ATTEMPTS) -> T:
    """Run ``attempt`` (one whole unit of work) again when another writer changed a stream it
    read: every try loads afresh and decides again (a request that lost the last bed is
    waitlisted, never confirmed on stale state). A random pause, growing with each try, spreads
    the racers (each round of a race has one winner)."""
    for tries in range(1, attempts + 1):
        try:
            return attempt()
        except ConcurrencyError as error:
            if tries == attempts:
                raise
            log.info("%s: %s; deciding again (try %d)", what, error, tries + 1)
            time.sleep(random.uniform(0, min(0.005 * 2 ** tries, 0.2)))
    raise AssertionError("unreachable")
