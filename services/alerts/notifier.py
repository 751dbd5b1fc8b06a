"""Telling people of new and escalated alerts: a pluggable notifier, log and webhook out of the box.

The notices themselves are made in the read model's transaction (projections.py, domain/notices.py)
and kept in ``alerts_notices`` until told, so none is lost to a crash or a webhook that is down: the
service tells what is pending after each write and at every check (at least once; a receiver
de-duplicates on ``key``, the same on every node and for every copy of an event). One green thread
tells, so each notice is told by one pass.

A node tells its own people: those of the tier that must act now (a new alert at its home node, an
escalation to this node's tier) and those of the tier an alert was escalated away from (so the
village knows the town has it). Another notifier is a class with ``tell(notice: dict)`` that raises
when it could not tell; list it in :data:`KINDS`.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Mapping

import requests
import sqlalchemy as sa
from nameko.extensions import DependencyProvider

from shared.dependencies import EventSourced
from services.alerts import tables
from services.alerts.metrics import alert_metrics
from services.alerts.settings import settings_of

log = logging.getLogger(__name__)


class LogNotifier:
    """Writes each notice to the service's log (at WARNING: it wants a person's attention)."""

    def __init__(self, entry: Mapping):
        self.logger = logging.getLogger(entry.get("logger", "eldernet.alerts.notices"))

    def tell(self, notice: dict) -> None:
        self.logger.warning("alert %s: %s %s (%s) in %s, for the %s tier", notice["what"], notice["kind"],
                            notice["alert_id"], notice["severity"], notice["area_code"], notice["tier"])


class WebhookNotifier:
    """POSTs each notice as JSON to ``url``; anything but a 2xx answer is a failure (told again later)."""

    def __init__(self, entry: Mapping):
        self.url = entry["url"]
        self.timeout = float(entry.get("timeout", 5))
        self.session = requests.Session()

    def tell(self, notice: dict) -> None:
        answer = self.session.post(self.url, data=json.dumps(notice), timeout=self.timeout,
                                   headers={"Content-Type": "application/json"})
        answer.raise_for_status()


KINDS = {"log": LogNotifier, "webhook": WebhookNotifier}


class Notifiers(DependencyProvider):
    """The node's notifiers, from ``ELDERNET.alerts.notifiers`` (default: the log), and the green
    thread that tells them: woken after each write that may have made a notice (and at each check),
    it tells everything pending in one pass, off the path of the signal that raised the alert."""

    def setup(self) -> None:
        self.notifiers = [KINDS[entry["kind"]](entry) for entry in settings_of(self.container.config).notifiers]
        self.wake = threading.Event()
        self._stopping = False

    def start(self) -> None:
        self.events = next(d for d in self.container.dependencies if isinstance(d, EventSourced))
        self._thread = self.container.spawn_managed_thread(self._run, identifier="alerts.notifiers")

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.wait()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> "Notifiers":
        return self

    def poke(self) -> None:
        """Something may be pending: tell it soon."""
        self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait()
            self.wake.clear()
            if self._stopping:
                return
            node = self.events.node
            try:
                self.tell_pending(self.events.store.engine, node.id, node.tier.value)
            except Exception:  # noqa: BLE001 - logged; the notices wait in alerts_notices for the next pass
                log.exception("alerts: could not tell the notifiers now; trying again at the next check")

    def tell_pending(self, engine, node_id: str, node_tier: str) -> int:
        """Tell every notifier each pending notice for this node's tier; how many were told."""
        with engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(_pending()).mappings()]
        done = [r["key"] for r in rows if node_tier not in (r["tier"], r["from_tier"])]  # another tier's
        told = 0
        for row in rows:
            if row["key"] not in done and self._tell(row):
                done.append(row["key"])
                _count(node_id, node_tier, row)
                told += 1
        if done:
            with engine.begin() as conn:
                conn.execute(tables.notices.update().where(tables.notices.c.key.in_(done)).values(told=True))
        return told

    def _tell(self, row: dict) -> bool:
        notice = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items() if k != "told"}
        for notifier in self.notifiers:
            try:
                notifier.tell(notice)
            except Exception as error:  # noqa: BLE001 - any notifier's failure: keep it pending, try later
                log.warning("notifier %s could not tell %s: %s", type(notifier).__name__, row["key"], error)
                return False
        return True


def _count(node_id: str, node_tier: str, row: dict) -> None:
    metrics = alert_metrics()
    metrics.notices.labels(node=node_id, what=row["what"]).inc()
    if row["what"] == "escalated" and row["tier"] == node_tier:
        # Once per escalation in the whole network: at the node of the tier it reached, by its
        # notice's key — however many nodes decided it (escalation.py).
        metrics.escalations.labels(node=node_id, severity=row["severity"], to_tier=node_tier).inc()


def _pending():
    notices = tables.notices
    return sa.select(notices).where(notices.c.told.is_(False)).order_by(notices.c.at).limit(500)
