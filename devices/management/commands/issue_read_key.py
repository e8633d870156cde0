"""issue_read_key: give a device a read key (ThingSpeak's "Read API Key") and print it."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandError

from devices.models import READ, Device
from devices.services import key_issue

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Issue a read key for a device and print it as the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--device", required=True, help="the device's name, as in the admin")

    def handle(self, *args, **options) -> str:
        try:
            device = Device.objects.get(name=options["device"])
        except Device.DoesNotExist:
            raise CommandError(f"no device named {options['device']!r}") from None
        issued = key_issue(device=device, scope=READ)
        logger.info("issued a read key for device %s", device.name)
        self.stdout.write(
            f"Read key for {device.name} (ThingSpeak channel id {device.pk}); it reads, it cannot post.\n"
            "Shown only now:"
        )
        return issued.key
