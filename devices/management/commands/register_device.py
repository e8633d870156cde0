"""register_device: add a weather station from the shell and print its API key."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from devices.models import FIELD_NUMBERS, PLACEMENTS
from devices.services import device_register

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Register a weather station and print its new API key as the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--mac", required=True, help="aa:bb:cc:dd:ee:ff, any case, ':' or '-'")
        parser.add_argument("--placement", required=True, choices=[value for value, _ in PLACEMENTS])
        parser.add_argument("--location", default="", help="for example 'Back porch'")
        parser.add_argument(
            "--field",
            type=int,
            default=1,
            choices=list(FIELD_NUMBERS),
            help="the field number the board posts its temperature on (original boards: 1 outside, 2 inside)",
        )
        parser.add_argument("--key", help="keep a key an existing board already sends (8+ characters)")

    def handle(self, *args, **options) -> str:
        try:
            issued = device_register(
                name=options["name"],
                mac=options["mac"],
                placement=options["placement"],
                location=options["location"],
                temperature_field=options["field"],
                key=options["key"],
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
            ) from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        device = issued.api_key.device
        logger.info("registered device %s (%s)", device.name, device.mac)
        field = options["field"]
        self.stdout.write(
            f"Registered {device.name} ({device.placement}, {device.mac}), temperature on field {field}.\n"
            f"It posts to: /update/API_key=<key>/mac={device.mac}/field={field}/data=<value>\n"
            "Its API key, shown only now:"
        )
        return issued.key
