"""Small nameko entrypoints the kernel needs besides event consumption."""
from __future__ import annotations

from nameko.extensions import Entrypoint


class OnStart(Entrypoint):
    """Runs the decorated method once in a worker when the service container starts."""

    def start(self) -> None:
        self.container.spawn_worker(self, (), {})


on_start = OnStart.decorator
