"""Recompute the history rollups from the readings (after a bulk load, or to check nothing drifted)."""

from __future__ import annotations

import logging
import time

from django.core.management.base import BaseCommand

from devices.models import Device
from readings.rollups import rollups_rebuild

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Recompute the 5-minute, hourly and daily rollups that history charts read, from the readings."

    def add_arguments(self, parser):
        parser.add_argument("--device", action="append", help="only this device (name); repeat for more")

    def handle(self, *args, **options) -> str:
        device_ids = None
        if options["device"]:
            device_ids = list(Device.objects.filter(name__in=options["device"]).values_list("pk", flat=True))
            if len(device_ids) != len(set(options["device"])):
                raise SystemExit(f"unknown device among {options['device']}")
        started = time.monotonic()
        made = rollups_rebuild(device_ids=device_ids)
        return f"{made} rollup rows rebuilt in {time.monotonic() - started:.1f} s"
