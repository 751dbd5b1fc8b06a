"""Reaching into a running service container in a test: call an entrypoint, look at its store."""
from nameko.testing.services import entrypoint_hook

from shared.dependencies import EventSourced


def call(container, method, *args):
    """Run ``method`` of the container's service as a worker would, and return its result."""
    with entrypoint_hook(container, method) as hook:
        return hook(*args)


def provider_of(container) -> EventSourced:
    return next(d for d in container.dependencies if isinstance(d, EventSourced))


def store_of(container):
    return provider_of(container).store
