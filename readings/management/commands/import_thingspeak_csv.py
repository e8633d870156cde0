"""import_thingspeak_csv: a ThingSpeak channel's CSV export into one device; safe to re-run."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from devices.models import Device
from iotserver.refusals import Refused
from iotserver.times import parse_zone
from readings import imports

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Import a ThingSpeak channel export (feeds.csv) into a device; readings already stored are skipped."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file ThingSpeak exported")
        parser.add_argument("--device", required=True, help="the device's name, as in the admin")
        parser.add_argument(
            "--timezone", default="UTC", help="the zone of times that name none (ThingSpeak exports name one)"
        )

    def handle(self, *args, **options) -> str:
        try:
            device = Device.objects.get(name=options["device"])
        except Device.DoesNotExist:
            raise CommandError(f"no device named {options['device']!r}") from None
        if not options["file"].is_file():
            raise CommandError(f"no file {options['file']}")
        try:
            report = imports.store(
                imports.thingspeak_csv(
                    options["file"], device=device, naive_zone=parse_zone(options["timezone"])
                )
            )
        except Refused as refusal:
            raise CommandError(refusal.reason) from None
        logger.info("imported a ThingSpeak export into %s: %s", device.name, report.lines()[0])
        return "\n".join(report.lines())
