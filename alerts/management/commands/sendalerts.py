"""sendalerts: the notification sender, a long-running loop beside gunicorn (make run, systemd)."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.timezone import now

from alerts.services import notifications_send, rules_evaluate

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Check the notification rules and send what is due, every few seconds, until stopped."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Check and send once, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.ALERTS_INTERVAL_SECONDS,
            help="Seconds between checks (default ALERTS_INTERVAL_SECONDS, %(default)s).",
        )

    def handle(self, *args, once: bool = False, interval: float = 30, **options) -> str:
        if once:
            return self.tick()
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        logger.info("sendalerts: checking every %s s", interval)
        while not stop.is_set():
            try:
                summary = self.tick()
                if summary:
                    logger.info("sendalerts: %s", summary)
            except Exception:
                # The database restarting or a rule gone wrong must not end the sender: the next
                # tick tries again, and nothing half-done was stored (each step is one transaction).
                logger.exception("sendalerts: this check failed; trying again in %s s", interval)
            finally:
                close_old_connections()
            stop.wait(interval)
        return "sendalerts stopped."

    def tick(self) -> str:
        fired = rules_evaluate(at=now())
        report = notifications_send(at=now())
        if not (fired or report.sent or report.retrying or report.failed):
            return ""
        return (
            f"{len(fired)} alert(s) fired, {report.sent} notification(s) sent, "
            f"{report.retrying} to retry, {report.failed} given up."
        )
